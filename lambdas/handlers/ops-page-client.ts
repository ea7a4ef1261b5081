/**
 * What runs in the ops page's browser tab: plain JavaScript (no build step, no framework) and the page's stylesheet,
 * inlined by `ops-page.ts`. The script writes only with `textContent` and `createElement`, never HTML strings, so a
 * topic or campaign name cannot inject markup. Colours pass WCAG AA contrast, and every state is also written out in
 * words (a level is never only a colour).
 */

export const OPS_STYLE = `
[hidden]{display:none!important}
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;background:#f5f6f8;color:#1f2937;margin:0;line-height:1.5}
header,main{max-width:72rem;margin:auto;padding:0 1rem}header{padding-top:1.5rem}h1{margin:0;font-size:1.6rem}
h2{font-size:1.15rem;margin:0 0 .75rem}h3{font-size:1rem;margin:0}
.card{background:#fff;border-radius:12px;padding:1.25rem;margin:1rem 0;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.row{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
label{font-weight:600}input{font:inherit;padding:.4rem .5rem;border:1px solid #6b7280;border-radius:6px}
button{font:inherit;padding:.45rem 1rem;border:0;border-radius:8px;background:#1d4ed8;color:#fff;cursor:pointer}
button:focus-visible,input:focus-visible{outline:3px solid #93c5fd;outline-offset:2px}
.note{color:#4b5563;font-size:.95rem}.status{font-weight:600}.error{color:#991b1b}
.rates{display:grid;grid-template-columns:repeat(auto-fit,minmax(12rem,1fr));gap:.75rem}
.rate{border:1px solid #d1d5db;border-radius:10px;padding:.75rem}.rate .value{font-size:1.6rem;font-weight:700;margin:.2rem 0}
.rate .judge{margin:0;font-size:.9rem}
.rate[data-level=ok]{background:#f0fdf4;border-color:#86efac}.rate[data-level=ok] .judge{color:#166534}
.rate[data-level=warn]{background:#fffbeb;border-color:#fcd34d}.rate[data-level=warn] .judge{color:#92400e}
.rate[data-level=over]{background:#fef2f2;border-color:#fca5a5}.rate[data-level=over] .judge{color:#991b1b}
#marketing-state[data-state=paused]{color:#991b1b;font-weight:700}#marketing-state[data-state=running]{color:#166534;font-weight:700}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e5e7eb}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.columns{display:grid;grid-template-columns:repeat(auto-fit,minmax(20rem,1fr));gap:0 1rem}
figure{margin:0 0 1rem}figcaption{font-weight:600;margin-bottom:.25rem}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;

export const OPS_SCRIPT = String.raw`
(function () {
  'use strict';
  var STORE = 'sendwell-admin-key';
  var byId = function (id) { return document.getElementById(id); };
  var charts = [];

  function el(tag, text, attrs) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (attrs) Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }
  function fill(tbody, rows) {
    tbody.replaceChildren.apply(tbody, rows);
  }
  function row(cells, attrs) {
    var tr = el('tr', null, attrs);
    cells.forEach(function (c, i) {
      var cell = i === 0 ? el('th', c, { scope: 'row' }) : el('td', c, { class: 'num' });
      tr.appendChild(cell);
    });
    return tr;
  }
  function status(text, isError) {
    var s = byId('status');
    s.textContent = text;
    s.className = isError ? 'status error' : 'status';
  }
  function headers(json) {
    var h = {};
    var key = sessionStorage.getItem(STORE);
    if (key) h.Authorization = 'Bearer ' + key;
    if (json) h['Content-Type'] = 'application/json';
    return h;
  }
  function call(path, init) {
    init = init || {};
    return fetch(path, { method: init.method || 'GET', headers: headers(init.body !== undefined), body: init.body }).then(function (res) {
      return res.text().then(function (text) {
        var body = text ? JSON.parse(text) : {};
        if (!res.ok) {
          var e = body && body.error ? body.error : { message: 'HTTP ' + res.status };
          var details = (e.details || []).map(function (d) { return (d.path ? d.path + ': ' : '') + d.message; }).join('; ');
          throw new Error((res.status === 401 ? 'The admin key was refused. ' : '') + e.message + (details ? ' (' + details + ')' : ''));
        }
        return body;
      });
    });
  }
  function pct(r) {
    if (r === null || r === undefined) return 'n/a';
    var digits = r !== 0 && r < 0.01 ? 3 : 2;
    return (r * 100).toFixed(digits).replace(/\.?0+$/, '') + ' %';
  }

  function renderMarketing(m) {
    var p = byId('marketing-state');
    var form = byId('resume-form');
    if (m.marketing.paused) {
      var pause = m.marketing.pause || {};
      p.dataset.state = 'paused';
      p.textContent = 'Paused since ' + pause.since + ': ' + pause.reason + '. Service mail continues; marketing resumes only when someone resumes it.';
      form.hidden = false;
    } else {
      p.dataset.state = 'running';
      p.textContent = 'Running. It pauses itself at a ' + pct(m.thresholds.autoPause.bounce) + ' bounce or ' + pct(m.thresholds.autoPause.complaint) +
        ' complaint rate over the last ' + m.thresholds.autoPause.windowDays + ' days, once ' + m.thresholds.autoPause.minSent + ' mails were sent in them.';
      form.hidden = true;
    }
  }

  function rateCard(id, label, value, warn, review) {
    var level = 'none';
    var judge = 'No threshold';
    if (value === null) {
      judge = 'Nothing to divide by yet';
    } else if (review !== undefined) {
      if (value >= review) { level = 'over'; judge = 'Over SES review threshold (' + pct(review) + ')'; }
      else if (value >= warn) { level = 'warn'; judge = 'Warning: at or above ' + pct(warn) + ' (SES review at ' + pct(review) + ')'; }
      else { level = 'ok'; judge = 'OK: below ' + pct(warn) + ' (SES review at ' + pct(review) + ')'; }
    }
    var card = el('div', null, { class: 'rate', 'data-rate': id, 'data-level': level });
    card.appendChild(el('h3', label));
    card.appendChild(el('p', pct(value), { class: 'value' }));
    card.appendChild(el('p', judge, { class: 'judge' }));
    return card;
  }

  function renderRates(m) {
    var r = m.rates;
    var t = m.thresholds;
    byId('rates').replaceChildren(
      rateCard('bounce', 'Bounce rate (hard)', r.bounce, t.warning.bounce, t.sesReview.bounce),
      rateCard('complaint', 'Complaint rate', r.complaint, t.warning.complaint, t.sesReview.complaint),
      rateCard('open', 'Open rate (people, unique)', r.open),
      rateCard('click', 'Click rate (people, unique)', r.click),
      rateCard('unsubscribe', 'Unsubscribe rate', r.unsubscribe)
    );
  }

  var TOTALS = [
    ['sent', 'Sent', function (f) { return f.sent; }],
    ['delivered', 'Delivered', function (f) { return f.delivered; }],
    ['bouncedHard', 'Hard bounces', function (f) { return f.bouncedHard; }],
    ['bouncedSoft', 'Soft bounces', function (f) { return f.bouncedSoft; }],
    ['complained', 'Complaints', function (f) { return f.complained; }],
    ['rejected', 'Rejected', function (f) { return f.rejected; }],
    ['sesSuppressed', 'Dropped by SES\u2019s account list', function (f) { return f.sesSuppressed || { total: 0, service: 0, marketing: 0 }; }],
    ['held', 'Held back', function (f) { return f.held; }],
    ['failed', 'Failed (SES refused)', function (f) { return f.failed; }],
    ['deferred', 'Deferred (quiet hours, local time)', function (f) { return f.deferred || { total: 0, service: 0, marketing: 0 }; }],
    ['opensUniqueHuman', 'Opened by a person (unique)', function (f) { return f.opens.uniqueHuman; }],
    ['opensHuman', 'Opens, human', function (f) { return f.opens.human; }],
    ['opensMachine', 'Opens, machine', function (f) { return f.opens.machine; }],
    ['opensUnique', 'Opened (unique, machines included)', function (f) { return f.opens.unique; }],
    ['opensTotal', 'Opens (total)', function (f) { return f.opens.total; }],
    ['clicksUniqueHuman', 'Clicked by a person (unique)', function (f) { return f.clicks.uniqueHuman; }],
    ['clicksHuman', 'Clicks, human', function (f) { return f.clicks.human; }],
    ['clicksMachine', 'Clicks, machine', function (f) { return f.clicks.machine; }],
    ['clicksUnique', 'Clicked (unique, machines included)', function (f) { return f.clicks.unique; }],
    ['clicksTotal', 'Clicks (total)', function (f) { return f.clicks.total; }],
    ['unsubscribed', 'Unsubscribed', function (f) { return f.unsubscribed; }]
  ];

  function renderTotals(m) {
    var f = m.totals;
    var rows = TOTALS.map(function (d) {
      var c = d[2](f);
      return row([d[1], c.total, c.service, c.marketing], { 'data-figure': d[0] });
    });
    rows.push(row(['Sent late (local-time campaigns)', f.late || 0, '', ''], { 'data-figure': 'late' }));
    rows.push(row(['Suppressions added', f.suppressionsAdded.total, '', ''], { 'data-figure': 'suppressionsAdded' }));
    fill(byId('totals').tBodies[0], rows);
  }

  function renderBreakdowns(m) {
    var holds = m.holdReasons.map(function (h) { return row([h.reason, h.count], { 'data-reason': h.reason }); });
    fill(byId('holds').tBodies[0], holds.length ? holds : [row(['Nothing held in this range', ''])]);
    var by = m.totals.unsubscribed.bySource;
    var unsubs = Object.keys(by).sort(function (a, b) { return by[b] - by[a]; }).map(function (s) { return row([s.replace(/_/g, ' '), by[s]], { 'data-source': s }); });
    fill(byId('unsubscribes').tBodies[0], unsubs.length ? unsubs : [row(['No unsubscribes in this range', ''])]);
  }

  var KINDS = { bounced_hard: 'Hard bounce', bounced_soft: 'Soft bounce', complained: 'Complaint' };
  function renderRecent(entries) {
    var rows = entries.map(function (e) {
      var tr = el('tr', null, { 'data-kind': e.kind });
      tr.appendChild(el('td', e.at.replace('T', ' ').slice(0, 19)));
      tr.appendChild(el('td', KINDS[e.kind] || e.kind));
      tr.appendChild(el('td', e.address));
      tr.appendChild(el('td', e.detail || ''));
      tr.appendChild(el('td', e.messageId || ''));
      return tr;
    });
    fill(byId('recent').tBodies[0], rows.length ? rows : [row(['No bounces or complaints in the last 30 days', '', '', '', ''])]);
  }

  function chart(target, days, series) {
    var node = byId(target);
    var width = Math.max(320, node.clientWidth || 800);
    var xs = days.map(function (d) { return Date.parse(d.day + 'T00:00:00Z') / 1000; });
    var data = [xs].concat(series.map(function (s) { return days.map(function (d) { return s.value(d.figures); }); }));
    var opts = {
      width: width,
      height: 240,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'); },
      scales: { x: { time: true } },
      axes: [{}, { label: 'per day' }],
      series: [{ label: 'Day' }].concat(series.map(function (s) { return { label: s.label, stroke: s.color, width: 2, dash: s.dash }; }))
    };
    node.replaceChildren();
    node.setAttribute('aria-label', series.map(function (s) { return s.label + ' ' + data[series.indexOf(s) + 1].reduce(function (a, b) { return a + b; }, 0); }).join(', ') + ' in the range');
    charts.push(new uPlot(opts, data, node));
  }

  function renderCharts(m) {
    charts.forEach(function (c) { c.destroy(); });
    charts = [];
    chart('chart-delivery', m.days, [
      { label: 'Sent', color: '#1d4ed8', value: function (f) { return f.sent.total; } },
      { label: 'Delivered', color: '#15803d', value: function (f) { return f.delivered.total; } },
      { label: 'Hard bounces', color: '#b91c1c', value: function (f) { return f.bouncedHard.total; }, dash: [6, 3] },
      { label: 'Soft bounces', color: '#c2410c', value: function (f) { return f.bouncedSoft.total; }, dash: [2, 2] },
      { label: 'Complaints', color: '#7e22ce', value: function (f) { return f.complained.total; }, dash: [8, 2, 2, 2] },
      { label: 'Held back', color: '#4b5563', value: function (f) { return f.held.total; }, dash: [1, 3] }
    ]);
    chart('chart-engagement', m.days, [
      { label: 'Opened by a person (unique)', color: '#0e7490', value: function (f) { return f.opens.uniqueHuman.total; } },
      { label: 'Clicked by a person (unique)', color: '#a16207', value: function (f) { return f.clicks.uniqueHuman.total; }, dash: [6, 3] },
      { label: 'Unsubscribed', color: '#be123c', value: function (f) { return f.unsubscribed.total; }, dash: [2, 2] }
    ]);
  }

  function query() {
    var q = new URLSearchParams();
    ['from', 'to', 'topic', 'campaign'].forEach(function (k) { var v = byId(k).value.trim(); if (v) q.set(k, v); });
    var s = q.toString();
    return s ? '?' + s : '';
  }

  function load() {
    status('Loading…');
    return Promise.all([call('/v1/metrics' + query()), call('/v1/feedback/recent?limit=20')]).then(function (results) {
      var m = results[0];
      byId('from').value = m.from;
      byId('to').value = m.to;
      byId('content').hidden = false;
      renderMarketing(m);
      renderRates(m);
      renderTotals(m);
      renderBreakdowns(m);
      renderRecent(results[1].entries);
      renderCharts(m);
      status('Figures for ' + m.from + ' to ' + m.to + (m.series === 'ALL' ? '' : ' (' + m.series.replace('T#', 'topic ').replace('C#', 'campaign ') + ')') + ', loaded ' + new Date().toISOString().slice(11, 19) + ' UTC.');
    }).catch(function (e) {
      status(e.message, true);
    });
  }

  byId('key-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var key = byId('admin-key').value.trim();
    if (key) sessionStorage.setItem(STORE, key); else sessionStorage.removeItem(STORE);
    load();
  });
  byId('range-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    load();
  });
  byId('resume-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var reason = byId('resume-reason').value.trim();
    call('/v1/marketing/resume', { method: 'POST', body: JSON.stringify({ reason: reason }) }).then(function () {
      byId('resume-reason').value = '';
      return load();
    }).catch(function (e) { status(e.message, true); });
  });

  var stored = sessionStorage.getItem(STORE);
  if (stored) {
    byId('admin-key').value = stored;
    load();
  }
})();
`;
