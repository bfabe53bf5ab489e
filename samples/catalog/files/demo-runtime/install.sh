#!/bin/sh
# Installer of the sample "demo-runtime" release. The agent runs it with its working directory set to the
# release's artifacts folder, never through a shell of its own; it writes only inside that folder.
set -eu
echo "installing demo-runtime ${GETAPP_CATALOG_ID:-?} into ${GETAPP_ARTS_DIR:-.}"
mkdir -p installed
tar -xzf runtime.tar.gz -C installed
./installed/bin/demo-runtime
echo "done ($*)"
