// The iframe page of a Partnerkreis block (/w/{token}.html) tells the page around it
// its height, so the iframe snippet's listener can fit the frame to the block.
// Nothing else: no cookies, no storage, no requests.
(function () {
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
