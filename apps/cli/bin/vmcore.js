#!/usr/bin/env node
// The `vmcore` bin. A committed launcher rather than the build itself: pnpm links a bin only
// if its file exists at install time, and the build runs after `pnpm install` on a fresh clone.
// It runs the bundled CLI (bundle/, scripts/bundle.mjs): a few files to load instead of ~230
// modules, which is most of a command's start-up.
import '../bundle/main.js';
