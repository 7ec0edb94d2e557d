/* Clinch marketing: the sequences list, and a sequence's steps, funnel, A/B verdicts, preview, dry-run. */
(function () {
  "use strict";
  var KEY = "clinch.marketing.key";
  var SEARCH_DELAY_MS = 250;
  var PATH_PREFIX = "/marketing/sequences/";
  var current = null; // the sequence shown: {key, latest_version, steps}
  var chosenLead = null; // {id, email, name}
  var searchTimer = null;
  var $ = ClinchStaff.$;
  var el = ClinchStaff.el;
  var staff = ClinchStaff.keyed(KEY);
  var api = staff.api;

  function showError(error) {
    $("mk-error-text").textContent = error.message || String(error);
    $("mk-error").hidden = false;
    if (error.status === 401 || error.status === 403) { $("mk-key-form").hidden = false; }
  }

  function clearError() { $("mk-error").hidden = true; }

  function pct(rate) { return (rate * 100).toFixed(1).replace(/\.0$/, "") + "%"; }

  function num(n) { return Number(n).toLocaleString("en"); }

  function cell(tr, text, cls) { tr.appendChild(el("td", cls ? { "class": cls } : {}, text)); }

  function seqPath(key) { return "/v1/nurture/sequences/" + encodeURIComponent(key); }

  function versionQuery() {
    var v = $("mk-version").value;
    return v ? "?version=" + encodeURIComponent(v) : "";
  }

  // The list of sequences.

  function showList() {
    $("mk-crumb").textContent = "";
    return api("GET", "/v1/nurture/sequences").then(function (rows) {
      var body = $("mk-sequences").querySelector("tbody");
      body.replaceChildren();
      rows.forEach(function (s) {
        var tr = el("tr", { "class": "mk-sequence", "data-key": s.key });
        var name = el("td");
        name.appendChild(el("a", { "class": "mk-open", href: PATH_PREFIX + encodeURIComponent(s.key) }, s.name));
        name.appendChild(el("div", { "class": "mk-sub" }, s.key));
        tr.appendChild(name);
        var status = el("td");
        status.appendChild(el("span", { "class": "mk-badge mk-state", "data-active": String(s.active) },
          s.active ? "active" : "paused"));
        tr.appendChild(status);
        cell(tr, "v" + s.latest_version + (s.versions > 1 ? " (" + s.versions + " versions)" : ""));
        cell(tr, s.steps, "num");
        cell(tr, num(s.active_enrollments), "num mk-active");
        cell(tr, num(s.enrolled), "num");
        cell(tr, num(s.converted) + " (" + pct(s.conversion_rate) + ")", "num mk-converted");
        cell(tr, num(s.sent_last_7_days), "num");
        body.appendChild(tr);
      });
      $("mk-list-empty").hidden = rows.length > 0;
      $("mk-list").hidden = false;
      ready();
    });
  }

  // One sequence.

  function showSequence(key) {
    return api("GET", seqPath(key)).then(function (s) {
      current = s;
      document.title = s.name + " · Clinch marketing";
      $("mk-crumb").textContent = "› " + s.name;
      $("mk-title").textContent = s.name;
      $("mk-description").textContent = s.description || "";
      $("mk-goal").textContent = s.goal;
      $("mk-exits").textContent = s.exit_on.join(", ");
      renderState(s.active);
      renderSteps(s.steps);
      renderVersions(s);
      renderPreviewSteps(s.steps);
      $("mk-sequence").hidden = false;
      ready();
      return loadResults();
    });
  }

  function renderState(active) {
    $("mk-status").textContent = active ? "active" : "paused";
    $("mk-status").setAttribute("data-active", String(active));
    $("mk-toggle").textContent = active ? "Pause" : "Resume";
    $("mk-toggle").setAttribute("data-action", active ? "pause" : "resume");
  }

  function renderSteps(steps) {
    var list = $("mk-steps");
    list.replaceChildren();
    steps.forEach(function (step) {
      var li = el("li", { "data-step": step.id });
      li.appendChild(el("span", { "class": "mk-kind", "data-kind": step.kind }, step.kind));
      li.appendChild(el("code", {}, step.id));
      li.appendChild(document.createTextNode(" — " + step.summary));
      list.appendChild(li);
    });
  }

  function renderVersions(s) {
    var select = $("mk-version");
    select.replaceChildren();
    select.appendChild(el("option", { value: "" }, "all versions"));
    s.versions.forEach(function (v) {
      var label = "v" + v.version + (v.version === s.latest_version ? " (latest)" : "") +
        " · " + new Date(v.created_at).toLocaleDateString();
      select.appendChild(el("option", { value: String(v.version) }, label));
    });
  }

  function loadResults() {
    var q = versionQuery();
    return Promise.all([
      api("GET", seqPath(current.key) + "/funnel" + q),
      api("GET", seqPath(current.key) + "/ab" + q)
    ]).then(function (parts) {
      renderFunnel(parts[0]);
      renderAb(parts[1]);
    }).catch(showError);
  }

  function renderFunnel(f) {
    $("mk-funnel-total").textContent = num(f.enrolled) + " enrolled · " + num(f.active) + " in it now · " +
      num(f.converted) + " converted · " + num(f.exited) + " exited · " + num(f.completed) + " completed";
    var body = $("mk-funnel").querySelector("tbody");
    body.replaceChildren();
    var top = Math.max.apply(null, [1].concat(f.steps.map(function (s) { return s.entered; })));
    f.steps.forEach(function (s) {
      var tr = el("tr", { "class": "mk-funnel-row", "data-step": s.step_id });
      var name = el("td");
      name.appendChild(el("span", { "class": "mk-kind", "data-kind": s.kind }, s.kind));
      name.appendChild(el("code", {}, s.step_id));
      tr.appendChild(name);
      var bar = el("td"), wrap = el("div", { "class": "mk-bar-wrap" });
      wrap.appendChild(el("span", { "class": "mk-bar-label mk-entered" }, num(s.entered)));
      var width = Math.round((s.entered / top) * 100);
      wrap.appendChild(el("div", { "class": "mk-bar", style: "width:" + width + "%", title: width + "% of the widest step" }));
      bar.appendChild(wrap);
      tr.appendChild(bar);
      var email = s.kind === "email";
      cell(tr, email ? num(s.sent) : "–", "num mk-sent");
      cell(tr, email ? num(s.clicked) + (s.sent ? " (" + pct(s.clicked / s.sent) + ")" : "") : "–", "num mk-clicked");
      cell(tr, num(s.converted), "num mk-converted");
      cell(tr, num(s.exited), "num mk-exited");
      cell(tr, num(s.waiting), "num mk-waiting");
      body.appendChild(tr);
    });
  }

  function interval(rate) {
    var box = el("div", { "class": "mk-ci", title: "95% interval " + pct(rate.low) + "–" + pct(rate.high) });
    box.appendChild(el("span", { style: "left:" + (rate.low * 100) + "%;width:" + ((rate.high - rate.low) * 100) + "%" }));
    box.appendChild(el("i", { style: "left:" + (rate.rate * 100) + "%" }));
    return box;
  }

  function rateCell(tr, rate, cls) {
    var td = el("td", { "class": cls });
    td.appendChild(el("div", {}, num(rate.count) + " · " + pct(rate.rate) + " (" + pct(rate.low) + "–" + pct(rate.high) + ")"));
    td.appendChild(interval(rate));
    tr.appendChild(td);
  }

  function renderAb(ab) {
    var box = $("mk-ab");
    box.replaceChildren();
    $("mk-ab-rule").textContent = ab.rule;
    if (!ab.splits.length) { box.appendChild(el("p", { "class": "mk-empty" }, "This sequence has no A/B split.")); }
    ab.splits.forEach(function (split) {
      var card = el("article", { "class": "mk-split", "data-step": split.step_id, "data-outcome": split.verdict.outcome });
      card.appendChild(el("h4", {}, "Split " + split.step_id));
      card.appendChild(el("p", { "class": "mk-verdict" }, split.verdict.summary));
      var t = el("table", { "class": "mk-table" }), head = el("tr");
      ["Variant", "Enrolled", "Clicked", "Converted"].forEach(function (h) { head.appendChild(el("th", {}, h)); });
      t.appendChild(head);
      split.arms.forEach(function (arm) {
        var winner = split.verdict.winner === arm.variant;
        var tr = el("tr", { "class": "mk-arm", "data-variant": arm.variant });
        cell(tr, arm.variant + (winner ? " ★" : "") + " → " + arm.goto);
        cell(tr, num(arm.enrolled), "num");
        rateCell(tr, arm.clicked, "mk-arm-clicked");
        rateCell(tr, arm.converted, "mk-arm-converted");
        t.appendChild(tr);
      });
      card.appendChild(t);
      var facts = [split.verdict.test];
      if (split.verdict.p_value !== null) { facts.push("p = " + split.verdict.p_value.toPrecision(2) + " on conversions"); }
      if (split.click_p_value !== null) { facts.push("p = " + split.click_p_value.toPrecision(2) + " on clicks"); }
      card.appendChild(el("p", { "class": "mk-sub" }, facts.join(" · ")));
      box.appendChild(card);
    });
  }

  // Preview a step's email for a lead.

  function renderPreviewSteps(steps) {
    var select = $("mk-preview-step");
    select.replaceChildren();
    steps.filter(function (s) { return s.kind === "email"; }).forEach(function (s) {
      select.appendChild(el("option", { value: s.id }, s.id + " (" + s.template + ")"));
    });
  }

  function searchLeads() {
    var text = $("mk-lead-search").value.trim();
    var box = $("mk-lead-results");
    if (!text) { box.replaceChildren(); return; }
    api("GET", "/v1/nurture/leads?limit=10&email=" + encodeURIComponent(text)).then(function (leads) {
      box.replaceChildren();
      if (!leads.length) { box.appendChild(el("span", { "class": "mk-empty" }, "No lead's email contains that.")); }
      leads.forEach(function (lead) {
        var label = lead.email + (lead.name ? " · " + lead.name : "");
        var button = el("button", { type: "button", "class": "mk-lead", "data-lead-id": String(lead.id) }, label);
        button.addEventListener("click", function () { chooseLead(lead); });
        box.appendChild(button);
      });
    }).catch(showError);
  }

  function chooseLead(lead) {
    chosenLead = lead;
    $("mk-lead-chosen").textContent = "previewing for " + lead.email;
    $("mk-lead-results").replaceChildren();
    preview();
  }

  function preview() {
    var step = $("mk-preview-step").value;
    if (!chosenLead || !step || !current) { return; }
    clearError();
    var path = seqPath(current.key) + "/steps/" + encodeURIComponent(step) + "/preview?lead_id=" + chosenLead.id;
    var v = $("mk-version").value;
    if (v) { path += "&version=" + encodeURIComponent(v); }
    api("GET", path).then(function (mail) {
      $("mk-preview-to").textContent = mail.to || "(no email address)";
      $("mk-preview-subject").textContent = mail.subject;
      $("mk-preview-text").textContent = mail.text;
      // sandbox="" on the frame: no scripts, no forms, no same-origin access to this page.
      $("mk-preview-html").srcdoc = mail.html !== null ? mail.html
        : "<p style='font:14px system-ui;color:#667'>This email is plain text only.</p>";
      $("mk-preview-mail").hidden = false;
    }).catch(function (error) {
      $("mk-preview-mail").hidden = true;
      showError(error);
    });
  }

  // The dry-run.

  function dryBody() {
    var body = { days: Number($("mk-dry-days").value) || 30 };
    var ids = $("mk-dry-leads").value.split(/[\s,]+/).filter(Boolean).map(Number);
    if (ids.length) { body.lead_ids = ids; } else { body.sample = Number($("mk-dry-sample").value) || 50; }
    var v = $("mk-version").value;
    if (v) { body.version = Number(v); }
    return body;
  }

  function renderDry(run) {
    var outcomes = Object.keys(run.outcomes).map(function (k) {
      return num(run.outcomes[k]) + " " + (k === "active" ? "still in it" : k);
    });
    var reasons = Object.keys(run.exit_reasons).filter(function (k) { return k !== "completed"; }).map(function (k) {
      return k.replace(/_/g, " ") + " " + run.exit_reasons[k];
    });
    $("mk-dry-summary").textContent = num(run.sampled) + " leads over " + run.days + " days on v" + run.version +
      ": " + num(run.emails) + " emails; " + outcomes.join(", ") + (reasons.length ? " (" + reasons.join(", ") + ")" : "") + ".";
    var chart = $("mk-dry-days-chart");
    chart.replaceChildren();
    var top = Math.max.apply(null, [1].concat(run.emails_by_day));
    run.emails_by_day.forEach(function (n, day) {
      chart.appendChild(el("div", { "class": "mk-day", style: "height:" + Math.round((n / top) * 100) + "%", title: "day " + (day + 1) + ": " + n + " emails" }));
    });
    var body = $("mk-dry-steps").querySelector("tbody");
    body.replaceChildren();
    run.steps.forEach(function (s) {
      var c = s.counts, tr = el("tr", { "class": "mk-dry-row", "data-step": s.step_id });
      var name = el("td");
      name.appendChild(el("span", { "class": "mk-kind", "data-kind": s.kind }, s.kind));
      name.appendChild(el("code", {}, s.step_id));
      tr.appendChild(name);
      cell(tr, num(c.entered), "num mk-dry-entered");
      cell(tr, s.kind === "email" ? num(c.sent) : "–", "num mk-dry-sent");
      cell(tr, num(c.capped), "num");
      cell(tr, num(c.quiet), "num");
      cell(tr, num(c.skipped), "num");
      cell(tr, num(c.converted + c.exited + c.completed), "num");
      cell(tr, s.median_send_day === null ? "–" : s.median_send_day.toFixed(1) + " d", "num");
      body.appendChild(tr);
    });
    var paths = $("mk-dry-paths");
    paths.replaceChildren();
    run.leads.forEach(function (lead) {
      var item = el("details", { "class": "mk-path", "data-lead-id": String(lead.lead_id) });
      var end = lead.status === "active" ? "still at " + lead.step_id : lead.status + (lead.exit_reason && lead.exit_reason !== lead.status ? " (" + lead.exit_reason.replace(/_/g, " ") + ")" : "");
      item.appendChild(el("summary", {}, (lead.email || "lead " + lead.lead_id) + " · " + lead.emails + " emails · " + end));
      var ol = el("ol");
      lead.entries.forEach(function (e) {
        var when = new Date(e.at).toLocaleString();
        ol.appendChild(el("li", {}, when + " · " + (e.step_id || "") + " · " + e.kind + (e.detail ? ": " + e.detail : "")));
      });
      item.appendChild(ol);
      paths.appendChild(item);
    });
    $("mk-dry-result").hidden = false;
  }

  // Wiring.

  function ready() {
    $("mk-key-form").hidden = true;
    $("mk-forget").hidden = false;
    clearError();
  }

  function start() {
    if (!staff.hasKey()) { $("mk-key-form").hidden = false; return; }
    var path = window.location.pathname;
    var shown = path.indexOf(PATH_PREFIX) === 0
      ? showSequence(decodeURIComponent(path.slice(PATH_PREFIX.length).replace(/\/+$/, "")))
      : showList();
    shown.catch(showError);
  }

  $("mk-key-form").addEventListener("submit", function (event) {
    event.preventDefault();
    staff.saveKey($("mk-key").value.trim());
    $("mk-key").value = "";
    start();
  });
  $("mk-forget").addEventListener("click", function () {
    staff.forgetKey();
    window.location.href = "/marketing";
  });
  $("mk-error-close").addEventListener("click", clearError);
  $("mk-toggle").addEventListener("click", function () {
    var action = $("mk-toggle").getAttribute("data-action");
    api("POST", seqPath(current.key) + "/" + action).then(function (body) {
      renderState(body.active);
      clearError();
    }).catch(showError);
  });
  $("mk-version").addEventListener("change", function () { loadResults(); preview(); });
  $("mk-preview-step").addEventListener("change", preview);
  $("mk-lead-search").addEventListener("input", function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(searchLeads, SEARCH_DELAY_MS);
  });
  $("mk-dry-form").addEventListener("submit", function (event) {
    event.preventDefault();
    clearError();
    var button = $("mk-dry-form").querySelector("button[type=submit]");
    button.disabled = true;
    button.textContent = "Simulating…";
    api("POST", seqPath(current.key) + "/dry-run", dryBody()).then(renderDry).catch(showError).then(function () {
      button.disabled = false;
      button.textContent = "Simulate";
    });
  });

  start();
})();
