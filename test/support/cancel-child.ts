// Run as a child process by the cancellation tests: one scan cancelled, then the process is left to exit on its own (a leaked timer, socket or stream would keep it alive).
import { openScenario } from '../../src/replay/scenario';
import { scan } from '../../src/core/scan';
import { createClients } from '../../src/aws/clients';
import { AwsSource } from '../../src/aws/source';
import { countingSource } from './counting-source';

async function main(): Promise<void> {
  const [mode, target, when] = process.argv.slice(2);
  const controller = new AbortController();
  const reason = new Error('cancelled by the user');
  let source;
  if (mode === 'replay') {
    // Abort at port call `when`.
    source = countingSource(openScenario(target), { before: (n) => n === Number(when) && controller.abort(reason) });
  } else {
    // An AwsSource on `target`; abort after `when` ms, mid-request.
    const accessKeyId = process.env.LB_ACCESS_KEY_ID ?? 'testing';
    source = new AwsSource(
      createClients({ region: 'us-east-1', endpoint: target, credentials: { accessKeyId, secretAccessKey: 'testing' }, maxAttempts: 2 }),
      {},
    );
    setTimeout(() => controller.abort(reason), Number(when));
  }
  const t0 = Date.now();
  try {
    await scan(source, { signal: controller.signal, baselineDays: 2 });
    process.stdout.write(JSON.stringify({ outcome: 'resolved' }) + '\n');
  } catch (err) {
    process.stdout.write(
      JSON.stringify({ outcome: err === reason ? 'rejected with the reason' : `rejected: ${String(err)}`, ms: Date.now() - t0 }) + '\n',
    );
  }
  // No dispose(), no process.exit(): what the scan left running decides when this process ends.
}

void main();
