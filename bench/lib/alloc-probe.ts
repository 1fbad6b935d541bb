/**
 * Loaded into the server with `node --require dist/bench/lib/alloc-probe.js`
 * (the server itself is unchanged): SIGUSR2 starts V8's sampling heap
 * profiler, the next SIGUSR2 stops it and writes the profile, as JSON, to
 * $ALLOC_PROFILE_OUT. Objects a GC already collected are kept in the
 * profile, so it samples every allocation, not only what survived: the sum
 * of its sizes estimates the bytes allocated meanwhile.
 */
import fs from 'node:fs';
import { Session } from 'node:inspector';

const out = process.env['ALLOC_PROFILE_OUT'];
const interval = Number(process.env['ALLOC_SAMPLING_INTERVAL'] ?? 512);

if (out !== undefined) {
  const session = new Session();
  session.connect();
  let sampling = false;
  process.on('SIGUSR2', () => {
    if (!sampling) {
      sampling = true;
      session.post('HeapProfiler.enable', () =>
        session.post('HeapProfiler.startSampling', {
          samplingInterval: interval,
          includeObjectsCollectedByMajorGC: true,
          // ALLOC_INCLUDE_MINOR=0 leaves out what scavenges collected: what remains is what survived into the old generation.
          includeObjectsCollectedByMinorGC: process.env['ALLOC_INCLUDE_MINOR'] !== '0',
        }),
      );
      return;
    }
    sampling = false;
    session.post('HeapProfiler.stopSampling', (error, result) => {
      fs.writeFileSync(`${out}.tmp`, error ? JSON.stringify({ error: error.message }) : JSON.stringify(result.profile));
      fs.renameSync(`${out}.tmp`, out);
    });
  });
}
