// Starts Redoc on /redoc from the served bundle (no inline script: the page's CSP is 'self').
window.addEventListener("DOMContentLoaded", function () {
  var holder = document.getElementById("redoc");
  Redoc.init(holder.dataset.openapi, {}, holder);
});
