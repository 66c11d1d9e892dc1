import { formatDoctor, runDoctor } from '../backend/doctor.js';

/** `condense doctor`: each backend, whether it loads here and why not, and its matmul speed. */
export async function doctorCommand(flags: { json?: boolean }): Promise<void> {
  const report = await runDoctor();
  process.stdout.write(flags.json ? JSON.stringify(report, null, 2) + '\n' : formatDoctor(report) + '\n');
}
