// Progressive enhancement only: every page works without this file.
document.addEventListener('DOMContentLoaded', function () {
  var toggle = document.querySelector('.menu-toggle');
  var nav = document.getElementById('main-nav');
  if (toggle && nav) {
    toggle.addEventListener('click', function () {
      var open = nav.classList.toggle('open');
      toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
    });
  }
  // On phones the org tree starts folded so the people list is visible first.
  var tree = document.querySelector('.tree-box');
  if (tree && window.matchMedia('(max-width: 719px)').matches) {
    tree.removeAttribute('open');
  }

  // Weight-rule editor: check the condition as it is typed, preview on demand.
  var cond = document.getElementById('rule-condition');
  var out = document.getElementById('rule-check');
  var form = document.getElementById('rule-form');
  function post(url, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body)
    }).then(function (r) { return r.json(); });
  }
  if (cond && out) {
    var timer = null;
    cond.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        if (!cond.value.trim()) { out.textContent = ''; return; }
        post('/api/v1/weight-rules/check', { condition: cond.value }).then(function (r) {
          out.textContent = r.ok ? '✓' : r.error.message;
          out.className = r.ok ? 'hint ok' : 'hint alert pre';
        }).catch(function () {});
      }, 300);
    });
  }
  // Choosing an existing rule loads it into the editor (the server fills it).
  var pick = document.querySelector('[data-rule-pick]');
  if (pick) {
    pick.addEventListener('change', function () {
      window.location = '/goals/rules' + (pick.value ? '?edit=' + encodeURIComponent(pick.value) : '') + '#rule-form';
    });
  }
  var preview = document.getElementById('rule-preview');
  var previewOut = document.getElementById('rule-preview-out');
  if (preview && form && previewOut) {
    preview.addEventListener('click', function () {
      var f = new FormData(form);
      var w = String(f.get('weight') || '').replace(/[%％\s]/g, '');
      post('/api/v1/weight-rules/preview', {
        name: f.get('name') || 'preview',
        condition: f.get('condition') || '',
        metric_code: f.get('metric_code') || '',
        weight_bp: Math.round(parseFloat(w || '0') * 100),
        scope: f.get('scope') || null,
        priority: parseInt(f.get('priority') || '0', 10) || 0
      }).then(function (r) {
        previewOut.textContent = '';
        if (r.error) { previewOut.textContent = r.error.message; previewOut.className = 'alert pre'; return; }
        previewOut.className = '';
        var list = document.createElement('ul');
        list.className = 'plain';
        r.regions.forEach(function (g) {
          var li = document.createElement('li');
          li.textContent = g.summary;
          list.appendChild(li);
        });
        previewOut.appendChild(list);
      }).catch(function () {});
    });
  }

  // Work-order times: one tap moves a time back, or to now (China time).
  document.querySelectorAll('[data-shift-for]').forEach(function (box) {
    var input = document.getElementById(box.getAttribute('data-shift-for'));
    if (!input) { return; }
    box.hidden = false;
    var pad = function (n) { return (n < 10 ? '0' : '') + n; };
    var fmt = function (d) {
      return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) +
        'T' + pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes());
    };
    box.querySelectorAll('[data-shift]').forEach(function (b) {
      b.addEventListener('click', function () {
        var minutes = parseInt(b.getAttribute('data-shift'), 10);
        // Values are China time; read and write them as if UTC so the
        // phone's own time zone never shifts them.
        var base = minutes === 0 || !input.value
          ? new Date(Date.now() + 8 * 3600 * 1000)
          : new Date(input.value + ':00Z');
        input.value = fmt(new Date(base.getTime() + minutes * 60000));
      });
    });
  });

  // Forms that spend or settle something ask once (points for a reward,
  // finalizing a calibration). Delegated, so forms swapped in live ask too.
  document.addEventListener('submit', function (e) {
    var f = e.target;
    if (f.matches && f.matches('form[data-confirm]') &&
        !window.confirm(f.getAttribute('data-confirm'))) { e.preventDefault(); }
  });

  // Feedback card (F1, three taps): tap a tag chip to pick it, tap 1–5 to
  // rate it; the button stays disabled until 3 picked tags are rated and
  // the observation is 1–20 user-perceived characters, and says why.
  var cardForm = document.querySelector('[data-feedback-card]');
  if (cardForm) {
    var rows = cardForm.querySelectorAll('[data-tag-row]');
    var picked = cardForm.querySelector('[data-picked]');
    var obs = cardForm.querySelector('[data-observation]');
    var counter = cardForm.querySelector('[data-counter]');
    var submit = cardForm.querySelector('button[type=submit]');
    var why = cardForm.querySelector('[data-why]');
    var graphemes = function (s) {
      s = s.trim();
      if (window.Intl && Intl.Segmenter) {
        return Array.from(new Intl.Segmenter('zh', { granularity: 'grapheme' }).segment(s)).length;
      }
      return Array.from(s).length;
    };
    var say = function (key, n) { return (cardForm.getAttribute(key) || '').replace('{n}', n); };
    var update = function () {
      var n = 0, unrated = 0;
      rows.forEach(function (row) {
        var on = row.querySelector('[data-pick]').checked;
        var rated = !!row.querySelector('[data-rate]:checked');
        row.classList.toggle('chosen', on);
        if (on) { n += 1; if (!rated) { unrated += 1; } }
      });
      // Three picked: the other chips rest until one is unpicked.
      rows.forEach(function (row) {
        var box = row.querySelector('[data-pick]');
        box.disabled = !box.checked && n >= 3;
      });
      if (picked) { picked.textContent = n + ' / 3'; picked.classList.toggle('warn', n !== 3); }
      var len = obs ? graphemes(obs.value) : 0;
      if (counter) { counter.textContent = len + ' / 20'; counter.classList.toggle('warn', len < 1 || len > 20); }
      var reason = '';
      if (n < 3) { reason = say('data-why-pick', 3 - n); }
      else if (n > 3) { reason = say('data-why-too-many', n - 3); }
      else if (unrated > 0) { reason = say('data-why-unrated', unrated); }
      else if (len < 1 || len > 20) { reason = say('data-why-observation', 0); }
      if (submit) { submit.disabled = reason !== ''; }
      if (why) { why.textContent = reason || say('data-ready', 0); why.classList.toggle('warn', reason !== ''); }
    };
    rows.forEach(function (row) {
      row.querySelector('[data-pick]').addEventListener('change', update);
      row.querySelectorAll('[data-rate]').forEach(function (r) {
        // Rating a tag picks it: one tap fewer.
        r.addEventListener('change', function () { row.querySelector('[data-pick]').checked = true; update(); });
      });
    });
    if (obs) { obs.addEventListener('input', update); }
    update();
  }

  // Customer picker: names or pinyin initials, searched on the CRM list.
  var cust = document.querySelector('[data-customer-search]');
  if (cust) {
    var list = document.getElementById(cust.getAttribute('list'));
    var ctimer = null;
    cust.addEventListener('input', function () {
      clearTimeout(ctimer);
      var q = cust.value.trim();
      if (!q || !list) { return; }
      ctimer = setTimeout(function () {
        fetch('/api/v1/customers?limit=8&q=' + encodeURIComponent(q), { credentials: 'same-origin' })
          .then(function (r) { return r.ok ? r.json() : { items: [] }; })
          .then(function (r) {
            list.innerHTML = '';
            r.items.forEach(function (c) {
              var o = document.createElement('option');
              o.value = c.name;
              o.textContent = c.tier + '类 · ' + c.region_name;
              list.appendChild(o);
            });
          }).catch(function () {});
      }, 200);
    });
  }

  // Leaderboards refresh themselves: points move without a reload.
  var board = document.querySelector('#leaderboard[data-unit]');
  if (board) {
    var ol = board.querySelector('ol.board');
    var unitLabel = board.getAttribute('data-points-unit') || '';
    var refresh = function () {
      fetch('/api/v1/leaderboard?unit=' + encodeURIComponent(board.getAttribute('data-unit')), { credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (r) {
          if (!r || !ol) { return; }
          ol.innerHTML = '';
          r.items.forEach(function (row) {
            var li = document.createElement('li');
            var who = document.createElement('span');
            who.className = 'who';
            who.textContent = row.name + ' ';
            var unit = document.createElement('span');
            unit.className = 'muted';
            unit.textContent = row.unit_name;
            who.appendChild(unit);
            var pts = document.createElement('strong');
            pts.textContent = row.points;
            var tail = document.createElement('span');
            tail.className = 'muted';
            tail.textContent = unitLabel;
            li.appendChild(who);
            li.appendChild(document.createTextNode(' '));
            li.appendChild(pts);
            li.appendChild(document.createTextNode(' '));
            li.appendChild(tail);
            ol.appendChild(li);
          });
          var mine = board.querySelector('[data-my-rank] strong');
          if (mine && r.me) { mine.textContent = r.me.rank; }
          board.setAttribute('data-refreshed', String(Date.now()));
        }).catch(function () {});
    };
    setInterval(refresh, 10000);
  }

  // Review editor (W2): while the manager types, tell the server once a
  // minute so the writing clock counts active time only.
  var warned = document.querySelector('.warn-box');
  if (warned) { warned.scrollIntoView(); }
  var review = document.querySelector('form[data-ping]');
  if (review) {
    var typed = false;
    var csrf = review.querySelector('input[name="_csrf"]');
    review.addEventListener('input', function () { typed = true; });
    setInterval(function () {
      if (!typed) { return; }
      typed = false;
      fetch(review.getAttribute('data-ping'), {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'x-csrf-token': csrf ? csrf.value : '' },
        body: '{}'
      }).catch(function () {});
    }, 60000);
  }

  // Calibration (C4): follow the session live. Every event (a score, a
  // flag, the facilitator's next case, a move) re-reads the page and swaps
  // the live region in place — no reload, and a field being typed in keeps
  // what was typed. EventSource reconnects by itself with Last-Event-ID.
  var live = document.querySelector('[data-stream]');
  if (live && window.EventSource) {
    var busy = false, again = false;
    var refresh = function () {
      if (busy) { again = true; return; }
      busy = true;
      fetch(location.pathname + location.search, { credentials: 'same-origin' })
        .then(function (r) { return r.text(); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, 'text/html');
          var next = doc.getElementById('cal-live');
          var now = document.getElementById('cal-live');
          var focused = document.activeElement;
          var typing = focused && now && now.contains(focused) &&
            (focused.tagName === 'TEXTAREA' || focused.tagName === 'SELECT' ||
             (focused.tagName === 'INPUT' && focused.type !== 'radio' && focused.type !== 'hidden'));
          if (next && now && !typing) {
            now.replaceWith(next);
            wireNinebox();
          }
          live.setAttribute('data-refreshed', String(Date.now()));
        })
        .catch(function () {})
        .then(function () { busy = false; if (again) { again = false; refresh(); } });
    };
    var es = new EventSource(live.getAttribute('data-stream'));
    ['score', 'flag', 'case', 'round', 'state', 'final', 'box', 'reset'].forEach(function (k) {
      es.addEventListener(k, refresh);
    });
    es.addEventListener('error', function () {
      if (es.readyState === EventSource.CLOSED) { setTimeout(function () { location.reload(); }, 5000); }
    });
  }

  // 9-box: drag a chip to a cell on a desktop (the tap-to-move form is the
  // same request, for tablets and phones).
  function wireNinebox() {
    var grid = document.querySelector('[data-ninebox]');
    if (!grid) { return; }
    grid.querySelectorAll('.ninebox-chip[draggable="true"]').forEach(function (chip) {
      chip.addEventListener('dragstart', function (e) {
        e.dataTransfer.setData('text/plain', chip.getAttribute('data-case'));
      });
    });
    grid.querySelectorAll('.ninebox-cell').forEach(function (cell) {
      cell.addEventListener('dragover', function (e) { e.preventDefault(); cell.classList.add('over'); });
      cell.addEventListener('dragleave', function () { cell.classList.remove('over'); });
      cell.addEventListener('drop', function (e) {
        e.preventDefault();
        var id = e.dataTransfer.getData('text/plain');
        var chip = grid.querySelector('.ninebox-chip[data-case="' + id + '"]');
        var form = chip && chip.querySelector('form');
        if (!form) { return; }
        form.querySelector('select[name="box"]').value = cell.getAttribute('data-box');
        form.submit();
      });
    });
  }
  wireNinebox();
});

// C6 reports: a print button (no inline script under the CSP).
document.addEventListener("click", function (e) {
  if (e.target.closest && e.target.closest("[data-print]")) {
    window.print();
  }
});

// H4: a printed dashboard says how each figure was computed.
window.addEventListener("beforeprint", function () {
  document.querySelectorAll("details").forEach(function (d) { d.open = true; });
});
