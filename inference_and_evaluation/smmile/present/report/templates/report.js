(function () {
  var keys = ["model", "mode", "format", "speciality", "flag", "outcome"];
  var sel = {};
  keys.forEach(function (k) { sel[k] = document.getElementById("f-" + k); });
  var text = document.getElementById("f-text");
  var problems = Array.prototype.slice.call(document.querySelectorAll("article.problem"));
  var count = document.getElementById("count");
  var shown = document.getElementById("shown");
  function apply() {
    var v = {};
    keys.forEach(function (k) { v[k] = sel[k].value; });
    var q = text.value.trim().toLowerCase();
    var rowFilter = v.model || v.mode || v.format || v.outcome;
    var n = 0;
    problems.forEach(function (p) {
      var ok = (!v.speciality || p.dataset.speciality === v.speciality) &&
        (!v.flag || p.dataset.flags.split("\n").indexOf(v.flag) >= 0) &&
        (!q || p.dataset.text.indexOf(q) >= 0);
      var rows = 0;
      p.querySelectorAll("tr.answer").forEach(function (r) {
        var m = (!v.model || r.dataset.model === v.model) && (!v.mode || r.dataset.mode === v.mode) &&
          (!v.format || r.dataset.format === v.format) &&
          (!v.outcome || r.dataset.outcome.split(" ").indexOf(v.outcome) >= 0);
        r.hidden = !m;
        if (m) { rows += 1; }
      });
      ok = ok && (rows > 0 || !rowFilter);
      p.hidden = !ok;
      if (ok) { n += 1; }
    });
    shown.textContent = String(n);
    count.setAttribute("data-shown", String(n));
  }
  function fromHash() {
    location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i < 0) { return; }
      var k = decodeURIComponent(kv.slice(0, i)), v = decodeURIComponent(kv.slice(i + 1));
      if (sel[k]) { sel[k].value = v; } else if (k === "q") { text.value = v; }
    });
  }
  function toHash() {
    var parts = [];
    keys.forEach(function (k) { if (sel[k].value) { parts.push(k + "=" + encodeURIComponent(sel[k].value)); } });
    if (text.value) { parts.push("q=" + encodeURIComponent(text.value)); }
    try { history.replaceState(null, "", parts.length ? "#" + parts.join("&") : location.pathname); } catch (e) {}
  }
  function update() { apply(); toHash(); }
  keys.forEach(function (k) { sel[k].addEventListener("change", update); });
  text.addEventListener("input", update);
  fromHash();
  apply();
  window.addEventListener("load", function () {
    var loaded = 0, broken = 0;
    Array.prototype.forEach.call(document.images, function (img) {
      if (img.complete && img.naturalWidth > 0) { loaded += 1; } else if (img.complete) { broken += 1; }
    });
    document.body.setAttribute("data-images-loaded", String(loaded));
    document.body.setAttribute("data-images-broken", String(broken));
  });
})();
