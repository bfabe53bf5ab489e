// How numbers, sizes and times read on the page.

const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

/** 1536 -> "1.5 KB" (powers of 1024, as `df -h`). */
export function bytes(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  let n = Math.abs(value);
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || n >= 100 ? 0 : n >= 10 ? 1 : 2;
  return `${value < 0 ? '-' : ''}${n.toFixed(digits)} ${units[unit]}`;
}

/** Bytes per second -> "4.8 MB/s". */
export function speed(bytesPerSecond) {
  return bytesPerSecond === null || bytesPerSecond === undefined ? '–' : `${bytes(bytesPerSecond)}/s`;
}

/** Seconds -> "1 h 02 min", "3 min 05 s", "12 s". */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || seconds < 0) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

/** 41.456 -> "41.5 %". */
export function percent(value) {
  return value === null || value === undefined ? '–' : `${Number(value).toFixed(value >= 100 || Number.isInteger(value) ? 0 : 1)} %`;
}

/** An ISO time -> the local date and time, or '–'. */
export function dateTime(iso) {
  if (!iso) return '–';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** An ISO time -> "5 min ago" (relative to now), or '–'. */
export function ago(iso, now = Date.now()) {
  if (!iso) return '–';
  const seconds = (now - new Date(iso).getTime()) / 1000;
  if (Number.isNaN(seconds)) return iso;
  if (seconds < 5) return 'just now';
  return `${duration(seconds)} ago`;
}
