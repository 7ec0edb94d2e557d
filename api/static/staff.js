/* Clinch staff pages (inbox, marketing): DOM helpers, and the API called with the tab's key. */
var ClinchStaff = (function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function detailOf(body, status) {
    var detail = body && body.detail;
    if (typeof detail === "string") { return detail; }
    if (Array.isArray(detail)) {
      return detail.map(function (d) {
        return d && d.problem ? (d.field ? d.field + ": " : "") + d.problem : JSON.stringify(d);
      }).join("; ");
    }
    return "the server answered " + status;
  }

  // The key lives in this tab's session storage under storageKey, one entry per page.
  function keyed(storageKey) {
    function api(method, path, body) {
      var headers = { "Authorization": "Bearer " + sessionStorage.getItem(storageKey) };
      if (body !== undefined) { headers["Content-Type"] = "application/json"; }
      return fetch(path, {
        method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body)
      }).then(function (response) {
        return response.text().then(function (text) {
          var parsed = null;
          try { parsed = text ? JSON.parse(text) : null; } catch (e) { parsed = null; }
          if (!response.ok) {
            var error = new Error(detailOf(parsed, response.status));
            error.status = response.status;
            throw error;
          }
          return parsed;
        });
      });
    }
    return {
      api: api,
      hasKey: function () { return Boolean(sessionStorage.getItem(storageKey)); },
      saveKey: function (secret) { sessionStorage.setItem(storageKey, secret); },
      forgetKey: function () { sessionStorage.removeItem(storageKey); }
    };
  }

  return { $: $, el: el, keyed: keyed };
}());
