// The backtest report's zoom and pan (tradebot/backtest/report.py embeds this file):
// plain JavaScript over the series embedded in the page, no library and no network. Each
// redraw reduces the visible range to at most 2,000 points (lowest low, highest high and
// last close per point).
(function () {
  const D = JSON.parse(document.getElementById("bt-data").textContent);
  const W = 1000, H = 360, P = 56, MAXP = 2000, N = D.t.length;
  let lo = 0, hi = N;
  const $ = (id) => document.getElementById(id);
  const fmtT = (s) => new Date(s * 1000).toISOString().slice(0, 16).replace("T", " ");
  const fmtV = (v) => v.toLocaleString(undefined, {maximumFractionDigits: 2});
  function buckets() {
    const n = hi - lo, k = Math.min(n, MAXP), out = [];
    for (let j = 0; j < k; j++) out.push([lo + Math.floor(j * n / k), lo + Math.floor((j + 1) * n / k)]);
    return out;
  }
  function frame(mn, mx) {
    const span = (mx - mn) || Math.abs(mx) || 1, l = mn - span * 0.03, h = mx + span * 0.03;
    return {
      x: (i) => P + (i - lo) / Math.max(hi - lo - 1, 1) * (W - P - 10),
      y: (v) => H - 24 - (v - l) / (h - l) * (H - 34), l: l, h: h,
    };
  }
  function line(f, idx, arr, cls) {
    const p = [];
    for (const i of idx) if (arr[i] !== null) p.push(f.x(i).toFixed(1) + "," + f.y(arr[i]).toFixed(1));
    return '<polyline class="' + cls + '" points="' + p.join(" ") + '"/>';
  }
  function axes(f) {
    let s = "";
    for (let j = 0; j < 5; j++) {
      const v = f.l + (f.h - f.l) * j / 4, y = f.y(v).toFixed(1);
      s += '<line x1="' + P + '" x2="' + (W - 10) + '" y1="' + y + '" y2="' + y + '" class="grid"/>';
      s += '<text x="' + (P - 4) + '" y="' + (+y + 4) + '" class="yl">' + fmtV(v) + "</text>";
    }
    for (let j = 0; j < 5; j++) {
      const i = Math.round(lo + (hi - 1 - lo) * j / 4);
      s += '<text x="' + f.x(i).toFixed(1) + '" y="' + (H - 6) + '" class="xl">' + fmtT(D.t[i]) + "</text>";
    }
    return s;
  }
  function svg(body, label) {
    return '<svg viewBox="0 0 ' + W + " " + H + '" role="img" aria-label="' + label + '">' + body + "</svg>";
  }
  function esc(s) { return String(s).replace(/[&<>"]/g, (c) => "&#" + c.charCodeAt(0) + ";"); }
  function render() {
    const bs = buckets(), ends = bs.map((b) => b[1] - 1);
    let mn = Infinity, mx = -Infinity, emn = Infinity, emx = -Infinity;
    const lows = [], highs = [];
    for (const [s, e] of bs) {
      let a = Infinity, b = -Infinity;
      for (let i = s; i < e; i++) {
        if (D.lo[i] < a) a = D.lo[i];
        if (D.hi[i] > b) b = D.hi[i];
        emn = Math.min(emn, D.eq[i], D.hold[i]);
        emx = Math.max(emx, D.eq[i], D.hold[i]);
      }
      lows.push(a); highs.push(b); mn = Math.min(mn, a); mx = Math.max(mx, b);
    }
    const f = frame(mn, mx);
    const top = ends.map((i, j) => f.x(i).toFixed(1) + "," + f.y(highs[j]).toFixed(1));
    const bottom = ends.map((i, j) => f.x(i).toFixed(1) + "," + f.y(lows[j]).toFixed(1)).reverse();
    let body = axes(f) + '<polygon class="band" points="' + top.concat(bottom).join(" ") + '"/>';
    body += line(f, ends, D.cl, "close") + line(f, ends, D.ef, "fast") + line(f, ends, D.es, "slow");
    let shown = 0;
    for (const m of D.m) {
      if (m[0] < lo || m[0] >= hi || shown >= 1000) continue;
      shown++;
      const x = f.x(m[0]).toFixed(1), y = f.y(m[1]).toFixed(1), buy = m[2] === 0;
      body += '<path d="M' + x + "," + y + " l-4," + (buy ? 7 : -7) + ' h8 z" class="' + (buy ? "buy" : "sell") +
        '"><title>' + (buy ? "buy " : "sell ") + m[1] + " (" + esc(m[3]) + ")</title></path>";
    }
    $("bt-price").innerHTML = svg(body + D.legend, "price");
    const g = frame(emn, emx);
    $("bt-equity").innerHTML = svg(axes(g) + line(g, ends, D.hold, "hold") + line(g, ends, D.eq, "equity") + D.elegend, "equity");
    $("bt-range").textContent = fmtT(D.t[lo]) + " .. " + fmtT(D.t[hi - 1]) + " UTC (" + (hi - lo).toLocaleString() + " of " + N.toLocaleString() + " points)";
    $("bt-pos").max = Math.max(0, N - (hi - lo));
    $("bt-pos").value = lo;
  }
  function zoom(factor, at) {
    const n = hi - lo, m = Math.max(10, Math.min(N, Math.round(n * factor)));
    const c = lo + (at === undefined ? 0.5 : at) * n;
    lo = Math.max(0, Math.min(N - m, Math.round(c - (c - lo) * m / n)));
    hi = lo + m;
    render();
  }
  function pan(by) { const n = hi - lo; lo = Math.max(0, Math.min(N - n, lo + by)); hi = lo + n; render(); }
  $("bt-in").onclick = () => zoom(0.5);
  $("bt-out").onclick = () => zoom(2);
  $("bt-all").onclick = () => { lo = 0; hi = N; render(); };
  $("bt-pos").oninput = (e) => pan(+e.target.value - lo);
  for (const id of ["bt-price", "bt-equity"]) {
    const el = $(id);
    el.addEventListener("wheel", (e) => {
      e.preventDefault();
      const r = el.getBoundingClientRect(), at = Math.min(1, Math.max(0, (e.clientX - r.left - r.width * P / W) / (r.width * (W - P - 10) / W)));
      zoom(e.deltaY < 0 ? 0.8 : 1.25, at);
    }, {passive: false});
    let drag = null;
    el.addEventListener("mousedown", (e) => { drag = e.clientX; });
    window.addEventListener("mouseup", () => { drag = null; });
    el.addEventListener("mousemove", (e) => {
      if (drag === null) return;
      const per = el.getBoundingClientRect().width * (W - P - 10) / W / (hi - lo);
      const step = Math.round((drag - e.clientX) / per);
      if (step) { drag = e.clientX; pan(step); }
    });
  }
  $("bt-controls").hidden = false;
  render();
})();
