/**
 * The `api-extractor` command's entry from the benchmark build (dist-bench), for the
 * `workload` case: what bin/api-extractor.js runs once it has re-executed Node with its
 * memory flag (the bench passes that flag itself, so there is no re-execution here).
 */
import { main } from '../services/cli/main';

void main();
