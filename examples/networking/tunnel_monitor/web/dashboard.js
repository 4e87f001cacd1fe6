// The tunnel_monitor dashboard: a chord diagram of the VXLAN flows (d3-chord, d3-shape,
// d3-selection; bundled by scripts/build-web.mjs, no CDN). Polls flows.json once a second and
// redraws when a new sample arrived, without reloading.
//
// - Endpoints view: one group per tunnel endpoint (outer address); a ribbon between two
//   endpoints is as wide at each end as the bytes that end sent to the other.
// - VNI selector: all VNIs, or one.
// - Click an endpoint: its inner traffic, one group per inner address at either end of its
//   flows (frames that are not IPv4 grouped as "non-IPv4" per endpoint); "all endpoints" goes back.
// - Tooltips on groups and ribbons; totals and the last interval's deltas for what is shown.
// The SVG carries data-* attributes (view, vni, sample, node ids, byte counts) for tests.
/* global document, fetch, setTimeout, window */
import { chord as d3chord, ribbon as d3ribbon } from 'd3-chord';
import { select } from 'd3-selection';
import { arc as d3arc } from 'd3-shape';

const INNER_R = 215;
const OUTER_R = 232;
const POLL_MS = 1000;
const PALETTE = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
  '#aec7e8',
  '#ffbb78',
  '#98df8a',
  '#ff9896',
  '#c5b0d5',
  '#c49c94',
  '#f7b6d2',
  '#c7c7c7',
  '#dbdb8d',
  '#9edae5',
];

const state = { data: undefined, vni: 'all', focus: undefined, drawnKey: '' };

const ipValue = (a) => a.split('.').reduce((v, o) => v * 256 + Number(o), 0);
const fmtBytes = (n) =>
  n >= 1e9
    ? `${(n / 1e9).toFixed(2)} GB`
    : n >= 1e6
      ? `${(n / 1e6).toFixed(2)} MB`
      : n >= 1e3
        ? `${(n / 1e3).toFixed(1)} kB`
        : `${n} B`;

function hostLabel(ip) {
  const name = state.data?.hosts?.[ip];
  return name ? `${name} (${ip})` : ip;
}

/** The flows the current VNI choice keeps. */
function selectedFlows() {
  const flows = state.data?.flows ?? [];
  return state.vni === 'all' ? flows : flows.filter((f) => String(f.vni) === state.vni);
}

/**
 * Nodes and the byte matrix of the current view. Each flow is split into its two directions:
 * (a -> b: tx) and (b -> a: rx), with a and b the view's node ids for its two ends.
 */
function model() {
  let flows = selectedFlows();
  let endOf;
  if (state.focus === undefined) {
    endOf = (f, side) => {
      const ip = side === 'a' ? f.outerA : f.outerB;
      return { id: ip, label: state.data?.hosts?.[ip] ?? ip, title: hostLabel(ip) };
    };
  } else {
    flows = flows.filter((f) => f.outerA === state.focus || f.outerB === state.focus);
    endOf = (f, side) => {
      const outer = side === 'a' ? f.outerA : f.outerB;
      const inner = side === 'a' ? f.innerA : f.innerB;
      const host = state.data?.hosts?.[outer] ?? outer;
      return f.ipv4
        ? { id: inner, label: `${inner} @ ${host}`, title: `${inner} (client at ${hostLabel(outer)})` }
        : {
            id: `non-IPv4@${outer}`,
            label: `non-IPv4 @ ${host}`,
            title: `frames that are not IPv4 (ARP) at ${hostLabel(outer)}`,
          };
    };
  }
  const nodes = new Map();
  const node = (e) => {
    if (!nodes.has(e.id)) nodes.set(e.id, { ...e, tx: [0, 0, 0, 0], rx: [0, 0, 0, 0] });
    return nodes.get(e.id);
  };
  const dirs = [];
  for (const f of flows) {
    const a = node(endOf(f, 'a'));
    const b = node(endOf(f, 'b'));
    dirs.push({
      from: a,
      to: b,
      bytes: f.txBytes,
      packets: f.txPackets,
      dBytes: f.delta.txBytes,
      dPackets: f.delta.txPackets,
    });
    dirs.push({
      from: b,
      to: a,
      bytes: f.rxBytes,
      packets: f.rxPackets,
      dBytes: f.delta.rxBytes,
      dPackets: f.delta.rxPackets,
    });
  }
  const list = [...nodes.values()].sort((x, y) => {
    const vx = /^\d/.test(x.id) ? ipValue(x.id) : Infinity;
    const vy = /^\d/.test(y.id) ? ipValue(y.id) : Infinity;
    return vx - vy || x.id.localeCompare(y.id);
  });
  const index = new Map(list.map((n, i) => [n.id, i]));
  const matrix = list.map(() => list.map(() => 0));
  const pairs = new Map();
  for (const d of dirs) {
    const i = index.get(d.from.id);
    const j = index.get(d.to.id);
    matrix[i][j] += d.bytes;
    for (const [n, k] of [
      [d.from.tx, 0],
      [d.to.rx, 0],
    ]) {
      n[k] += d.bytes;
      n[k + 1] += d.packets;
      n[k + 2] += d.dBytes;
      n[k + 3] += d.dPackets;
    }
    const key = `${i},${j}`;
    const p = pairs.get(key) ?? { bytes: 0, packets: 0, dBytes: 0, dPackets: 0 };
    p.bytes += d.bytes;
    p.packets += d.packets;
    p.dBytes += d.dBytes;
    p.dPackets += d.dPackets;
    pairs.set(key, p);
  }
  return { flows, nodes: list, matrix, pairs };
}

function showTooltip(event, text) {
  const t = document.getElementById('tooltip');
  t.textContent = text;
  t.style.display = 'block';
  t.style.left = `${event.clientX + 14}px`;
  t.style.top = `${event.clientY + 14}px`;
}

function hideTooltip() {
  document.getElementById('tooltip').style.display = 'none';
}

function dirText(p, seconds) {
  if (!p) return '0 B';
  return `${fmtBytes(p.bytes)} in ${p.packets} packets (+${fmtBytes(p.dBytes)}, +${p.dPackets} in the last ${seconds} s)`;
}

function renderVniSelector() {
  const box = document.getElementById('vnis');
  const vnis = ['all', ...(state.data?.vnis ?? []).map(String)];
  if (box.dataset.vnis === vnis.join(',')) return;
  box.dataset.vnis = vnis.join(',');
  box.replaceChildren();
  for (const v of vnis) {
    const label = document.createElement('label');
    const input = document.createElement('input');
    input.type = 'radio';
    input.name = 'vni';
    input.value = v;
    input.checked = v === state.vni;
    input.addEventListener('change', () => {
      state.vni = v;
      render();
    });
    label.append(input, ` ${v}`);
    box.append(label);
  }
}

function fillTable(id, rows) {
  const t = document.getElementById(id);
  t.replaceChildren();
  for (const [k, v] of rows) {
    const tr = document.createElement('tr');
    const a = document.createElement('td');
    a.textContent = k;
    const b = document.createElement('td');
    b.className = 'n';
    b.textContent = v;
    b.dataset.key = k;
    tr.append(a, b);
    t.append(tr);
  }
}

function render() {
  const data = state.data;
  if (!data) return;
  renderVniSelector();
  const m = model();
  const seconds = (data.intervalMs / 1000).toFixed(1);
  const svg = select('#chord')
    .attr('data-seq', data.seq)
    .attr('data-view', state.focus === undefined ? 'endpoints' : 'inner')
    .attr('data-focus', state.focus ?? '')
    .attr('data-vni', state.vni);
  svg.selectAll('*').remove();

  const chords = d3chord()
    .padAngle(0.03)
    .sortSubgroups((a, b) => b - a)(m.matrix);
  const arc = d3arc()
    .innerRadius(INNER_R + 4)
    .outerRadius(OUTER_R);
  const ribbon = d3ribbon().radius(INNER_R);
  const colour = (i) => PALETTE[i % PALETTE.length];

  const groups = svg
    .append('g')
    .selectAll('g')
    .data(chords.groups)
    .join('g')
    .attr('class', 'group')
    .attr('data-node', (g) => m.nodes[g.index].id)
    .attr('data-label', (g) => m.nodes[g.index].label)
    .attr('data-value', (g) => g.value)
    // the middle of the arc, in the SVG's coordinates (where to point at a group)
    .attr('data-cx', (g) => arc.centroid(g)[0].toFixed(1))
    .attr('data-cy', (g) => arc.centroid(g)[1].toFixed(1));
  groups
    .append('path')
    .attr('fill', (g) => colour(g.index))
    .attr('d', arc)
    .on('click', (_e, g) => {
      if (state.focus !== undefined) return;
      state.focus = m.nodes[g.index].id;
      render();
    })
    .on('mousemove', (e, g) => {
      const n = m.nodes[g.index];
      showTooltip(
        e,
        `${n.title}\nsent ${dirText({ bytes: n.tx[0], packets: n.tx[1], dBytes: n.tx[2], dPackets: n.tx[3] }, seconds)}\n` +
          `received ${dirText({ bytes: n.rx[0], packets: n.rx[1], dBytes: n.rx[2], dPackets: n.rx[3] }, seconds)}` +
          (state.focus === undefined ? '\n(click for its inner traffic)' : ''),
      );
    })
    .on('mouseleave', hideTooltip);
  groups
    .append('text')
    .attr('class', 'label')
    .each(function (g) {
      const angle = (g.startAngle + g.endAngle) / 2;
      const flip = angle > Math.PI;
      select(this)
        .attr(
          'transform',
          `rotate(${(angle * 180) / Math.PI - 90}) translate(${OUTER_R + 6}) ${flip ? 'rotate(180)' : ''}`,
        )
        .attr('text-anchor', flip ? 'end' : 'start')
        .attr('dy', '0.35em')
        .text(m.nodes[g.index].label);
    });

  svg
    .append('g')
    .selectAll('path')
    .data(chords)
    .join('path')
    .attr('class', 'ribbon')
    .attr('d', ribbon)
    .attr('fill', (c) => colour(c.source.index))
    .attr('data-source', (c) => m.nodes[c.source.index].id)
    .attr('data-target', (c) => m.nodes[c.target.index].id)
    .attr('data-source-bytes', (c) => c.source.value)
    .attr('data-target-bytes', (c) => c.target.value)
    .on('mousemove', (e, c) => {
      const s = m.nodes[c.source.index];
      const t = m.nodes[c.target.index];
      showTooltip(
        e,
        `${s.title} -> ${t.title}: ${dirText(m.pairs.get(`${c.source.index},${c.target.index}`), seconds)}\n` +
          `${t.title} -> ${s.title}: ${dirText(m.pairs.get(`${c.target.index},${c.source.index}`), seconds)}`,
      );
    })
    .on('mouseleave', hideTooltip);

  const sum = (fn) => m.flows.reduce((n, f) => n + fn(f), 0);
  const packets = sum((f) => f.txPackets + f.rxPackets);
  const bytes = sum((f) => f.txBytes + f.rxBytes);
  const dPackets = sum((f) => f.delta.txPackets + f.delta.rxPackets);
  const dBytes = sum((f) => f.delta.txBytes + f.delta.rxBytes);
  fillTable('totals', [
    ['flows', String(m.flows.length)],
    ['packets', String(packets)],
    ['bytes', String(bytes)],
    ['non-IPv4 packets', String(sum((f) => (f.ipv4 ? 0 : f.txPackets + f.rxPackets)))],
  ]);
  fillTable('delta', [
    ['seconds', seconds],
    ['packets', String(dPackets)],
    ['bytes', String(dBytes)],
    ['bytes/s', data.intervalMs > 0 ? String(Math.round(dBytes / (data.intervalMs / 1000))) : '0'],
  ]);
  const vniText = state.vni === 'all' ? 'all VNIs' : `VNI ${state.vni}`;
  document.getElementById('caption').textContent =
    state.focus === undefined
      ? `Tunnel Flows, ${vniText}`
      : `Inner traffic of ${hostLabel(state.focus)}, ${vniText}`;
  document.getElementById('focus-text').textContent =
    state.focus === undefined
      ? 'Click a tunnel endpoint to see its inner traffic.'
      : `Showing ${hostLabel(state.focus)}`;
  document.getElementById('back').hidden = state.focus === undefined;
}

async function poll() {
  const status = document.getElementById('status');
  try {
    const res = await fetch('flows.json', { cache: 'no-store' });
    if (!res.ok) throw new Error(`flows.json: HTTP ${res.status}`);
    const data = await res.json();
    const fresh = !state.data || data.seq !== state.data.seq;
    state.data = data;
    if (fresh) render();
    status.className = '';
    status.textContent = `sample ${data.seq} at ${new Date(data.time).toLocaleTimeString()}, ${data.flows.length} flows, ${data.skipped.outerMulticast} group frames skipped`;
  } catch (e) {
    status.className = 'error';
    status.textContent = `cannot read flows: ${e instanceof Error ? e.message : String(e)}`;
  }
  setTimeout(poll, POLL_MS);
}

document.getElementById('back').addEventListener('click', () => {
  state.focus = undefined;
  render();
});
window.addEventListener('load', () => void poll());
