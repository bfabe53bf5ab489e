#!/bin/sh
# Installer of the sample "demo-app" release (depends on demo-runtime, which the agent delivers first).
set -eu
echo "installing demo-app ${GETAPP_CATALOG_ID:-?} into ${GETAPP_ARTS_DIR:-.}"
mkdir -p installed
tar -xzf app.tar.gz -C installed
./installed/bin/demo-app
echo "done ($*)"
