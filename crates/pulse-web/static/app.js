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
          var pct = function (bp) { return bp == null ? '—' : (bp / 100) + '%'; };
          li.textContent = g.name + '：' + (g.error ? g.error : g.fires
            ? ('触发，' + g.people + ' 人 ' + pct(g.before_bp) + ' → ' + pct(g.after_bp)) : '不触发');
          list.appendChild(li);
        });
        previewOut.appendChild(list);
      }).catch(function () {});
    });
  }
});
