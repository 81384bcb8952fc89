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
});
