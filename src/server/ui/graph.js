// The dependency graph: the same nodes, edges and edge labels as
// `cozypkg dot` (src/lib/engine/dot.c) for packages, laid out in layers
// in the page and drawn as SVG.

const SVG = 'http://www.w3.org/2000/svg';

function variantDeps(variant) {
  return (variant && variant.dependsOn) || [];
}

// nodes: Map name -> {name, exists}; edges: [{from, to, label}].
// mode 'installed' keeps sources that have a Package and dependencies that
// have one; 'closure' keeps what `focus` needs, transitively.
export function buildGraph(sources, packages, mode, focus) {
  const srcByName = new Map(sources.map((s) => [s.metadata.name, s]));
  const installed = new Set(packages.map((p) => p.metadata.name));
  const nodes = new Map();
  const edges = [];
  let walk = sources;
  if (mode === 'installed') walk = sources.filter((s) => installed.has(s.metadata.name));
  if (mode === 'closure' && focus) {
    const seen = new Set();
    const stack = [focus];
    while (stack.length) {
      const n = stack.pop();
      if (seen.has(n)) continue;
      seen.add(n);
      const s = srcByName.get(n);
      if (!s) continue;
      for (const v of s.spec.variants || []) for (const d of variantDeps(v)) stack.push(d);
    }
    walk = sources.filter((s) => seen.has(s.metadata.name));
  }
  for (const s of walk) {
    const name = s.metadata.name;
    nodes.set(name, { name, exists: true });
    const variants = s.spec.variants || [];
    const byDep = new Map();
    const order = [];
    variants.forEach((v) => {
      for (const d of variantDeps(v)) {
        if (mode === 'installed' && !installed.has(d)) continue;
        if (!byDep.has(d)) { byDep.set(d, []); order.push(d); }
        const names = byDep.get(d);
        if (!names.includes(v.name)) names.push(v.name);
      }
    });
    for (const d of order) {
      const inVariants = byDep.get(d);
      // As dot: a label only when the edge is in some variants, not all.
      const label = inVariants.length < variants.length ? inVariants.join(',') : '';
      edges.push({ from: name, to: d, label });
      if (!nodes.has(d)) nodes.set(d, { name: d, exists: srcByName.has(d) });
    }
  }
  return { nodes, edges };
}

// Layers by longest path to a node without dependencies (drawn right to
// left like dot's rankdir=RL: dependencies on the left), then a few
// barycenter sweeps to reduce crossings.
export function layout(graph) {
  const out = new Map();
  for (const n of graph.nodes.keys()) out.set(n, []);
  for (const e of graph.edges) if (out.has(e.from) && out.has(e.to)) out.get(e.from).push(e.to);
  const layer = new Map();
  const visiting = new Set();
  const depth = (n) => {
    if (layer.has(n)) return layer.get(n);
    if (visiting.has(n)) return 0; // a cycle: cut here
    visiting.add(n);
    let d = 0;
    for (const m of out.get(n)) d = Math.max(d, depth(m) + 1);
    visiting.delete(n);
    layer.set(n, d);
    return d;
  };
  for (const n of [...graph.nodes.keys()].sort()) depth(n);
  const layers = [];
  for (const [n, d] of layer) (layers[d] = layers[d] || []).push(n);
  for (const l of layers) l.sort();
  const incoming = new Map();
  for (const n of graph.nodes.keys()) incoming.set(n, []);
  for (const e of graph.edges) if (incoming.has(e.to)) incoming.get(e.to).push(e.from);
  const pos = new Map();
  const index = () => layers.forEach((l) => l.forEach((n, i) => pos.set(n, i)));
  index();
  const bary = (n, nbrs) => {
    const ps = nbrs.filter((m) => pos.has(m)).map((m) => pos.get(m));
    return ps.length ? ps.reduce((a, b) => a + b, 0) / ps.length : pos.get(n);
  };
  for (let sweep = 0; sweep < 4; sweep++) {
    for (let i = 1; i < layers.length; i++) {
      const keys = new Map(layers[i].map((n) => [n, bary(n, out.get(n))]));
      layers[i].sort((a, b) => keys.get(a) - keys.get(b) || (a < b ? -1 : 1));
      layers[i].forEach((n, j) => pos.set(n, j));
    }
    for (let i = layers.length - 2; i >= 0; i--) {
      const keys = new Map(layers[i].map((n) => [n, bary(n, incoming.get(n))]));
      layers[i].sort((a, b) => keys.get(a) - keys.get(b) || (a < b ? -1 : 1));
      layers[i].forEach((n, j) => pos.set(n, j));
    }
  }
  const CHAR = 7, PAD = 16, ROW = 34, GAP = 90;
  const place = new Map();
  const tallest = Math.max(1, ...layers.map((l) => l.length));
  let x = 20;
  for (const l of layers) {
    const width = Math.max(60, ...l.map((n) => n.length * CHAR + PAD));
    // Each layer centred on the tallest, so that a few shared
    // dependencies sit level with the many packages that need them.
    const top = 20 + ((tallest - l.length) * ROW) / 2;
    l.forEach((n, j) => place.set(n, { x, y: top + j * ROW, w: n.length * CHAR + PAD, h: 24 }));
    x += width + GAP;
  }
  return { place, width: x, height: 40 + tallest * ROW };
}

function el(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  return e;
}

// An SVG element for graph; stateOf(name) gives the node's class
// (ready, failed, pending, absent, missing); onOpen(name) on a click.
export function renderGraph(graph, stateOf, onOpen) {
  const { place, width, height } = layout(graph);
  const svg = el('svg', { id: 'graph', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img' });
  const defs = el('defs');
  const marker = el('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
  marker.appendChild(el('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrowhead' }));
  defs.appendChild(marker);
  svg.appendChild(defs);
  const edgeLayer = el('g', { class: 'edges' });
  for (const e of graph.edges) {
    const a = place.get(e.from), b = place.get(e.to);
    if (!a || !b) continue;
    const x1 = a.x, y1 = a.y + a.h / 2, x2 = b.x + b.w, y2 = b.y + b.h / 2;
    const mx = (x1 + x2) / 2;
    const missing = !graph.nodes.get(e.to).exists;
    const path = el('path', { d: `M ${x1} ${y1} C ${mx} ${y1}, ${mx} ${y2}, ${x2} ${y2}`, class: 'edge' + (missing ? ' missing' : ''), 'marker-end': 'url(#arrow)' });
    path.dataset.from = e.from;
    path.dataset.to = e.to;
    edgeLayer.appendChild(path);
    if (e.label) {
      const t = el('text', { x: mx, y: (y1 + y2) / 2 - 3, class: 'edge-label' });
      t.textContent = e.label;
      t.dataset.from = e.from;
      t.dataset.to = e.to;
      edgeLayer.appendChild(t);
    }
  }
  svg.appendChild(edgeLayer);
  const nodeLayer = el('g', { class: 'nodes' });
  for (const [name, node] of graph.nodes) {
    const p = place.get(name);
    const g = el('g', { class: 'node ' + (node.exists ? stateOf(name) : 'missing'), transform: `translate(${p.x},${p.y})`, tabindex: 0 });
    g.dataset.name = name;
    const title = el('title');
    title.textContent = name;
    g.appendChild(title);
    g.appendChild(el('rect', { width: p.w, height: p.h, rx: 6, ry: 6 }));
    const t = el('text', { x: 8, y: 16 });
    t.textContent = name;
    g.appendChild(t);
    g.addEventListener('click', () => onOpen(name));
    g.addEventListener('mouseenter', () => highlight(svg, name, true));
    g.addEventListener('mouseleave', () => highlight(svg, name, false));
    g.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') onOpen(name); });
    nodeLayer.appendChild(g);
  }
  svg.appendChild(nodeLayer);
  return svg;
}

// Marks the edges of one node, to follow them through a dense graph.
function highlight(svg, name, on) {
  for (const p of svg.querySelectorAll('.edges path'))
    if (p.dataset.from === name || p.dataset.to === name) p.classList.toggle('hl', on);
}

// Recolours the nodes of an existing drawing without laying it out again.
export function recolour(svg, graph, stateOf) {
  for (const g of svg.querySelectorAll('g.node')) {
    const node = graph.nodes.get(g.dataset.name);
    g.setAttribute('class', 'node ' + (node && node.exists ? stateOf(g.dataset.name) : 'missing'));
  }
}
