/**
 * `tsbcc ratelimit`: per-IP rate limiting from a policy file (docs/deploy.md): `check` (the
 * validation `apply` runs first, read-only), `apply` (install or reconcile; the limits outlive
 * the command), `set`/`unset` (one address's class: map updates), `show`, `rm`.
 */
import type { Command } from 'commander';
import { classRates } from '../deploy/ratelimit-install.js';
import { checkPolicyHere } from '../deploy/ratelimit-host.js';
import { readPolicy } from '../deploy/ratelimit-policy.js';
import { formatShown, showInstalled } from '../deploy/ratelimit-show.js';
import {
  applyPolicy,
  removeInstalled,
  setAddress,
  unsetAddress,
  type DirectionChoice,
} from '../deploy/ratelimit.js';
import { TsbccError } from '../errors.js';

/** Runs a subcommand: a tsbcc error is printed (exit 1), anything else is a bug and thrown. */
async function report(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    if (!(e instanceof TsbccError)) throw e;
    console.error(`tsbcc ratelimit: ${e.message}`);
    process.exitCode = 1;
  }
}

interface WhereOpts {
  netns?: string;
  dev?: string;
  direction?: string;
}

/** Tells (on stderr) that another change of the namespace runs, and this one waits for it. */
function onWait(holder: string): void {
  console.error(`tsbcc ratelimit: waiting for ${holder}, which is changing this namespace`);
}

function choice(o: WhereOpts): DirectionChoice {
  return {
    onWait,
    ...(o.netns !== undefined ? { netns: o.netns } : {}),
    ...(o.dev !== undefined ? { interface: o.dev } : {}),
    ...(o.direction === 'ingress' || o.direction === 'egress' ? { direction: o.direction } : {}),
  };
}

/** Adds `tsbcc ratelimit` to the CLI. */
export function registerRatelimitCommands(program: Command): void {
  const rl = program
    .command('ratelimit')
    .description('per-IP rate limiting from a policy file (docs/deploy.md)');
  rl.command('check')
    .argument('<policy>', 'policy file (YAML)')
    .option('--netns <ns>', 'network namespace the policy is for (name or path)')
    .option('--json', 'print the checked policy as JSON')
    .description('validate a policy completely (file, interfaces, IPv6) without changing anything')
    .action(async (file: string, opts: { netns?: string; json?: boolean }) => {
      try {
        const policy = readPolicy(file);
        await checkPolicyHere(policy, opts.netns);
        if (opts.json) {
          console.log(JSON.stringify(policy, (k, v: unknown) => (k === 'bytes' ? undefined : v), 2));
          return;
        }
        for (const d of policy.directions) {
          const classes = d.classes
            .map(
              (c) =>
                `${c.name} ${c.rate} bit/s (${c.prefixes.length} address${c.prefixes.length === 1 ? '' : 'es'})`,
            )
            .join(', ');
          console.log(
            `${d.interface} ${d.direction}: by ${d.match} address; ${classes}; default ${d.defaultClass ?? 'none (not limited)'}`,
          );
        }
        console.log(`${file}: ok`);
      } catch (e) {
        if (!(e instanceof TsbccError)) throw e;
        console.error(`tsbcc ratelimit: ${e.message}`);
        process.exitCode = 1;
      }
    });

  rl.command('apply')
    .argument('<policy>', 'policy file (YAML)')
    .option('--netns <ns>', 'network namespace to apply it in (name or path)')
    .description('install the policy, or reconcile what is installed with it; the limits stay after exit')
    .action((file: string, opts: { netns?: string }) =>
      report(async () => {
        for (const s of await applyPolicy(file, opts.netns, { onWait })) {
          const d = s.record;
          if (!d) {
            console.log(`${s.interface} ${s.direction}: removed`);
            continue;
          }
          const cl = d.classifier
            ? `classifier filter handle 0x${d.classifier.handle.toString(16)} prog id ${d.classifier.programId}`
            : 'no classifier';
          const classes = d.classes
            .map((c) => `${c.name} 1:${c.minor.toString(16)} ${classRates(c)}`)
            .join(', ');
          const ch = s.changes;
          const what = ch
            ? `reconciled (classes +${ch.classesAdded.length} ~${ch.classesChanged.length} -${ch.classesRemoved.length}, entries +${ch.entries.added} ~${ch.entries.changed} -${ch.entries.removed}; classifier kept)`
            : `${s.action} via ${d.strategy ?? '?'} (${d.reason ?? ''})`;
          console.log(
            `${s.interface} ${s.direction}: ${what}; ${cl}; ${classes}; ${d.entries.length} addresses; default ${d.defaultClass ?? 'none'}`,
          );
        }
        console.log(`${file}: applied`);
      }),
    );
  rl.command('set')
    .argument('<address>', 'IPv4/IPv6 address or prefix')
    .argument('<class|rate>', 'a class of the policy, or a rate (e.g. 3mbit) for this address alone')
    .option('--netns <ns>', 'namespace (name or path)')
    .option('--dev <if>', 'interface (when more than one direction is installed)')
    .option('--direction <dir>', 'ingress or egress (when more than one is installed)')
    .description("put an address into a class (a map update: the classifier's filter stays)")
    .action((address: string, target: string, opts: WhereOpts) =>
      report(async () => {
        const r = await setAddress(address, target, choice(opts));
        console.log(`${r.direction.interface} ${r.direction.direction}: ${r.address} -> ${r.class ?? ''}`);
      }),
    );
  rl.command('unset')
    .argument('<address>', 'IPv4/IPv6 address or prefix, as set or in the policy')
    .option('--netns <ns>', 'namespace (name or path)')
    .option('--dev <if>', 'interface (when more than one direction is installed)')
    .option('--direction <dir>', 'ingress or egress (when more than one is installed)')
    .description('take an address out of the classifier (it goes to the default class)')
    .action((address: string, opts: WhereOpts) =>
      report(async () => {
        const r = await unsetAddress(address, choice(opts));
        console.log(`${r.direction.interface} ${r.direction.direction}: ${r.address} unset`);
      }),
    );
  rl.command('show')
    .option('--netns <ns>', 'namespace (name or path)')
    .option('--all', 'every namespace with something installed')
    .option('--json', 'as JSON')
    .description('installed policy, per-class rates and counters, per-address counters, drops')
    .action((opts: { netns?: string; all?: boolean; json?: boolean }) =>
      report(async () => {
        const shown = await showInstalled(opts);
        if (opts.json) console.log(JSON.stringify(shown, null, 2));
        else console.log(shown.length ? formatShown(shown) : 'nothing installed');
      }),
    );
  rl.command('rm')
    .option('--netns <ns>', 'namespace (name or path)')
    .option('--all', 'every namespace with something installed')
    .description('remove exactly what apply installed (also after a crashed apply)')
    .action((opts: { netns?: string; all?: boolean }) =>
      report(async () => {
        const removed = await removeInstalled({ ...opts, onWait });
        if (removed.length === 0) console.log('nothing installed');
        for (const r of removed)
          console.log(`${r.key}: removed ${r.directions.join(', ') || 'nothing (record only)'}`);
      }),
    );
}
