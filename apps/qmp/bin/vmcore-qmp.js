#!/usr/bin/env node
// The `vmcore-qmp` bin. A committed launcher rather than dist/main.js itself: pnpm links a bin only
// if its file exists at install time, and dist/ is built after `pnpm install` on a fresh clone.
import '../dist/main.js';
