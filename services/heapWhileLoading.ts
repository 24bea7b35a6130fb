/**
 * Imported first by each service's main (embedded, config-api, scheduler, worker): while
 * the process's entry is still loading its modules, V8's young generation keeps its
 * initial size. A service loads enough (the AWS SDK, express) to grow it past its cap in
 * one synchronous stretch, before the collection observer of `capYoungGeneration` could
 * hold it (the config API's reached 2 × 16 MiB); main then applies the heap settings
 * every entry shares (services/heap.ts), and it grows to the cap while the service works.
 * The CLI does not hold it: it loads little (its young generation is 2 × 4 MiB when the
 * settings apply) and its start-up time counts (more collections while loading).
 *
 * Imported by a module that is not the process's entry, or after the entry loaded, it
 * does nothing.
 */
import { holdYoungGeneration } from './heap';

// Only for the entry's own import, while it loads: imported from anything else, the
// entry's main would not apply the settings that end the hold.
const entry = require.main;
if (entry && !entry.loaded && entry.children.includes(module)) holdYoungGeneration();
