// Small DOM helpers. Text always goes in as text (never as HTML): release names, messages and installer output come
// from catalogs and servers, not from us.

/** Creates an element: h('button', {class: 'primary', onclick: f}, 'Deliver'). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'class') {
      element.className = value;
    } else if (name === 'dataset') {
      Object.assign(element.dataset, value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Sets an element's text only when it changed (keeps the DOM quiet for screen readers and selections). */
export function setText(element, text) {
  const value = text ?? '';
  if (element.textContent !== value) element.textContent = value;
}

/** Shows or hides an element. */
export function show(element, visible) {
  element.hidden = !visible;
}

/** Replaces an element's children. */
export function replaceChildren(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

let nextId = 0;

/** A document-unique id for aria-labelledby and friends. */
export function uid(prefix) {
  nextId += 1;
  return `${prefix}-${nextId}`;
}
