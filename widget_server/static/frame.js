// The iframe page of a Partnerkreis block (/w/{token}.html) tells the page around it
// its height, so the iframe snippet's listener can fit the frame to the block, and
// posts the block's view link once, which counts it as served (the page may come
// from a shared cache the server never sees). No cookies, no storage.
(function () {
  var link = document.body && document.body.getAttribute("data-view");
  if (link && window.fetch) fetch(link, { method: "POST", credentials: "omit" }).catch(function () {});
  var last = 0;
  function report() {
    var h = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (h !== last && window.parent !== window) {
      last = h;
      window.parent.postMessage({ partnerkreisHeight: h }, "*");
    }
  }
  if (window.ResizeObserver) new ResizeObserver(report).observe(document.documentElement);
  addEventListener("load", report);
  report();
})();
