// The `socd` command's entry point (bin/socd.js runs the build of this file; `npm start` runs
// `socd serve`).
import { run } from './cli/index.js';

await run(process.argv);
