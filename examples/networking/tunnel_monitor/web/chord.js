// Live chord diagram of the tunnel_monitor flows, plain SVG (no libraries, no build step).
//
// Every inner host gets an equal slot (an arc) on the circle; hosts of one VNI sit together and
// VNI groups are separated by a wider gap. A flow between hosts A and B is a ribbon whose end on
// A's arc is as wide as the bytes A sent to B and whose end on B's arc is as wide as the bytes B
// sent to A, on one scale for the whole diagram: a host arc holds `capacity` bytes. The scale
// only changes (to the next 1-2-5 step) when the busiest host outgrows it, so between changes
// the ribbons widen as traffic goes on. The page polls flows.json once a second.
/* global document, fetch, setTimeout */
'use strict';

(function () {
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const R_RIBBON = 230; // ribbons end here
  const R_ARC = 250; // host arcs span R_RIBBON + 4 .. R_ARC
  const GROUP_GAP = 0.14; // radians between VNI groups
  const HOST_GAP = 0.035; // radians between hosts of one VNI
  const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];
  const POLL_MS = 1000;

  let capacity = 0;

  function ipValue(addr) {
    return addr.split('.').reduce((v, octet) => v * 256 + Number(octet), 0);
  }

  /** The smallest 1, 2 or 5 times a power of ten that is >= x. */
  function niceCeil(x) {
    if (x <= 1) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(x)));
    for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p;
    return 10 * p;
  }

  function formatBytes(n) {
    if (n < 1000) return n + ' B';
    if (n < 1e6) return (n / 1e3).toFixed(1) + ' kB';
    if (n < 1e9) return (n / 1e6).toFixed(2) + ' MB';
    return (n / 1e9).toFixed(2) + ' GB';
  }

  /**
   * Angles (radians, 0 at the top, clockwise) of the host arcs and ribbon ends for a list of
   * flows, and the capacity (bytes per host arc) they were drawn with.
   */
  function layout(flows, previousCapacity) {
    const byAddr = new Map();
    const host = (addr, vni) => {
      let h = byAddr.get(addr);
      if (!h) {
        h = { addr, vni, sent: 0, start: 0, end: 0, cursor: 0 };
        byAddr.set(addr, h);
      }
      return h;
    };
    for (const f of flows) {
      host(f.innerA, f.vni).sent += f.aToBBytes;
      host(f.innerB, f.vni).sent += f.bToABytes;
    }
    const hosts = [...byAddr.values()].sort((x, y) => x.vni - y.vni || ipValue(x.addr) - ipValue(y.addr));
    const vnis = [...new Set(hosts.map((h) => h.vni))];
    const gaps = vnis.length * GROUP_GAP + (hosts.length - vnis.length) * HOST_GAP;
    const slot = hosts.length ? (2 * Math.PI - gaps) / hosts.length : 0;
    let angle = GROUP_GAP / 2;
    hosts.forEach((h, i) => {
      if (i > 0) angle += h.vni === hosts[i - 1].vni ? HOST_GAP : GROUP_GAP;
      h.start = angle;
      h.cursor = angle;
      angle += slot;
      h.end = angle;
    });
    const busiest = Math.max(0, ...hosts.map((h) => h.sent));
    const cap =
      busiest <= previousCapacity && previousCapacity > 0 ? previousCapacity : niceCeil(busiest * 1.25);
    const perByte = slot / cap;
    const ribbons = [...flows]
      .sort(
        (x, y) =>
          x.vni - y.vni || ipValue(x.innerA) - ipValue(y.innerA) || ipValue(x.innerB) - ipValue(y.innerB),
      )
      .map((f) => {
        const end = (h, bytes) => {
          const a0 = h.cursor;
          h.cursor += bytes * perByte;
          return { a0, a1: h.cursor };
        };
        return {
          flow: f,
          a: end(byAddr.get(f.innerA), f.aToBBytes),
          b: end(byAddr.get(f.innerB), f.bToABytes),
        };
      });
    return { hosts, vnis, ribbons, capacity: cap };
  }

  function point(r, a) {
    return (r * Math.sin(a)).toFixed(2) + ' ' + (-r * Math.cos(a)).toFixed(2);
  }

  function arcTo(r, a0, a1) {
    return 'A ' + r + ' ' + r + ' 0 ' + (a1 - a0 > Math.PI ? 1 : 0) + ' 1 ' + point(r, a1);
  }

  function annulus(r0, r1, a0, a1) {
    return (
      'M ' +
      point(r1, a0) +
      ' ' +
      arcTo(r1, a0, a1) +
      ' L ' +
      point(r0, a1) +
      ' A ' +
      r0 +
      ' ' +
      r0 +
      ' 0 ' +
      (a1 - a0 > Math.PI ? 1 : 0) +
      ' 0 ' +
      point(r0, a0) +
      ' Z'
    );
  }

  function ribbonPath(a, b) {
    const r = R_RIBBON;
    return (
      'M ' +
      point(r, a.a0) +
      ' ' +
      arcTo(r, a.a0, a.a1) +
      ' Q 0 0 ' +
      point(r, b.a0) +
      ' ' +
      arcTo(r, b.a0, b.a1) +
      ' Q 0 0 ' +
      point(r, a.a0) +
      ' Z'
    );
  }

  function el(name, attrs, parent) {
    const e = document.createElementNS(SVG_NS, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (parent) parent.appendChild(e);
    return e;
  }

  function colourOf(vnis, vni) {
    return COLOURS[vnis.indexOf(vni) % COLOURS.length];
  }

  function render(flows) {
    const l = layout(flows, capacity);
    capacity = l.capacity;
    const svg = document.getElementById('chord');
    svg.replaceChildren();
    svg.setAttribute('data-capacity', String(capacity));
    const ribbons = el('g', { class: 'ribbons' }, svg);
    for (const r of l.ribbons) {
      const f = r.flow;
      const colour = colourOf(l.vnis, f.vni);
      const p = el(
        'path',
        {
          class: 'ribbon',
          d: ribbonPath(r.a, r.b),
          fill: colour,
          stroke: colour,
          'data-vni': f.vni,
          'data-a': f.innerA,
          'data-b': f.innerB,
          'data-a-bytes': f.aToBBytes,
          'data-b-bytes': f.bToABytes,
          'data-a-width': r.a.a1 - r.a.a0,
          'data-b-width': r.b.a1 - r.b.a0,
        },
        ribbons,
      );
      el('title', {}, p).textContent =
        'VNI ' +
        f.vni +
        ': ' +
        f.innerA +
        ' → ' +
        f.innerB +
        ' ' +
        formatBytes(f.aToBBytes) +
        ' (' +
        f.aToBPkts +
        ' pkts), ' +
        f.innerB +
        ' → ' +
        f.innerA +
        ' ' +
        formatBytes(f.bToABytes) +
        ' (' +
        f.bToAPkts +
        ' pkts)';
    }
    const arcs = el('g', { class: 'hosts' }, svg);
    for (const h of l.hosts) {
      const colour = colourOf(l.vnis, h.vni);
      const g = el('g', { class: 'host', 'data-host': h.addr, 'data-vni': h.vni }, arcs);
      el(
        'path',
        {
          class: 'host-arc',
          d: annulus(R_RIBBON + 4, R_ARC, h.start, h.end),
          fill: colour,
          'fill-opacity': 0.25,
        },
        g,
      );
      if (h.cursor > h.start) {
        el(
          'path',
          { class: 'host-used', d: annulus(R_RIBBON + 4, R_ARC, h.start, h.cursor), fill: colour },
          g,
        );
      }
      el('title', {}, g).textContent = h.addr + ' (VNI ' + h.vni + '): sent ' + formatBytes(h.sent);
      const mid = (h.start + h.end) / 2;
      const x = (R_ARC + 10) * Math.sin(mid);
      const y = -(R_ARC + 10) * Math.cos(mid);
      const label = el(
        'text',
        {
          class: 'host-label',
          x: x.toFixed(1),
          y: y.toFixed(1),
          'text-anchor': Math.abs(x) < 20 ? 'middle' : x > 0 ? 'start' : 'end',
          'dominant-baseline': y < -R_ARC + 20 ? 'auto' : y > R_ARC - 20 ? 'hanging' : 'middle',
        },
        g,
      );
      label.textContent = h.addr;
    }
    renderLegend(l);
    renderTable(flows);
  }

  function renderLegend(l) {
    const legend = document.getElementById('legend');
    legend.replaceChildren();
    for (const vni of l.vnis) {
      const row = document.createElement('div');
      row.className = 'vni';
      row.setAttribute('data-vni', String(vni));
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = colourOf(l.vnis, vni);
      row.append(swatch, 'VNI ' + vni);
      legend.append(row);
    }
    const scale = document.createElement('div');
    scale.className = 'scale';
    scale.textContent = 'one host arc = ' + formatBytes(l.capacity) + ' sent';
    legend.append(scale);
  }

  function renderTable(flows) {
    const table = document.getElementById('flows');
    table.replaceChildren();
    const head = ['VNI', 'inner a', 'inner b', 'a→b pkts', 'b→a pkts', 'a→b bytes', 'b→a bytes'];
    const tr = table.insertRow();
    for (const h of head) {
      const th = document.createElement('th');
      th.textContent = h;
      tr.append(th);
    }
    for (const f of flows) {
      const row = table.insertRow();
      for (const v of [f.vni, f.innerA, f.innerB, f.aToBPkts, f.bToAPkts, f.aToBBytes, f.bToABytes]) {
        row.insertCell().textContent = String(v);
      }
    }
  }

  async function poll() {
    const status = document.getElementById('status');
    try {
      const res = await fetch('flows.json', { cache: 'no-store' });
      if (!res.ok) throw new Error('flows.json: HTTP ' + res.status);
      const flows = await res.json();
      render(flows);
      status.className = '';
      status.textContent = flows.length + ' flows, updated ' + new Date().toLocaleTimeString();
    } catch (e) {
      status.className = 'error';
      status.textContent =
        'cannot read flows.json (' + (e instanceof Error ? e.message : String(e)) + '); retrying';
    }
    setTimeout(poll, POLL_MS);
  }

  poll();
})();
