// What Swagger UI's markup lacks for keyboard and screen-reader users (swagger-api/swagger-ui#7350),
// added as it renders: a name for the servers select, focus for scrolled code blocks, and a way
// back to the dashboard.
(function () {
  function mend() {
    var servers = document.getElementById('servers');
    if (servers && !servers.hasAttribute('aria-label')) servers.setAttribute('aria-label', 'Server');
    document.querySelectorAll('.highlight-code > .microlight:not([tabindex])').forEach(function (block) {
      block.setAttribute('tabindex', '0');
    });
  }
  new MutationObserver(mend).observe(document.documentElement, { childList: true, subtree: true });
  document.addEventListener('DOMContentLoaded', function () {
    var back = document.createElement('a');
    back.href = '/';
    back.className = 'socd-back';
    back.textContent = '← SOC Defenders dashboard';
    document.body.prepend(back);
    mend();
  });
})();
