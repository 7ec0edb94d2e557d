// The checkout page: keep the total in step with the seats, and send the payment once.
(function () {
  "use strict";
  var form = document.getElementById("checkout-form");
  if (!form) return;
  var quantity = document.getElementById("checkout-quantity");
  var total = document.getElementById("checkout-total");
  var pay = document.getElementById("checkout-pay");
  var unit = form.dataset.unitPrice; // exact decimal text from the signed link, e.g. "8.50"
  var currency = form.dataset.currency;
  var cents = unit.indexOf(".") >= 0;

  // Exact: the unit price in hundredths times whole seats, so no float drift.
  function hundredths(text) {
    var parts = text.split(".");
    var frac = ((parts[1] || "") + "00").slice(0, 2);
    return parseInt(parts[0], 10) * 100 + parseInt(frac, 10);
  }

  function label(amountHundredths) {
    var digits = cents ? 2 : 0;
    try {
      return new Intl.NumberFormat("en-US", {
        style: "currency", currency: currency,
        minimumFractionDigits: digits, maximumFractionDigits: digits,
      }).format(amountHundredths / 100);
    } catch (e) {
      return (amountHundredths / 100).toFixed(digits) + " " + currency;
    }
  }

  function update() {
    var seats = parseInt(quantity.value, 10);
    if (!(seats >= 1)) return;
    var text = label(hundredths(unit) * seats);
    total.textContent = text;
    pay.textContent = "Pay " + text;
  }

  if (form.dataset.perSeat === "true") {
    quantity.addEventListener("input", update);
  }
  form.addEventListener("submit", function () {
    pay.disabled = true;
    pay.textContent = "Paying…";
  });
})();
