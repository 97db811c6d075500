// The portal's "change the card" form for a monthly gift. As on the donate
// form (donate.js), the card goes from Stripe's card element straight to
// Stripe: the page asks us for a SetupIntent for the plan's own customer,
// confirms it with the card element, and posts only the SetupIntent's id,
// which the server checks with Stripe before the card is used. Works with
// real Stripe.js and localstripe's fake one.
(function () {
  "use strict";

  const form = document.getElementById("plan-card-form");
  if (!form || typeof Stripe === "undefined") {
    return;
  }
  const errorBox = document.getElementById("card-error");
  const statusBox = document.getElementById("card-status");
  const button = document.getElementById("card-button");
  const stripe = Stripe(form.dataset.stripeKey);
  const card = stripe.elements().create("card");
  card.mount("#card-element");

  function showError(message) {
    statusBox.hidden = true;
    errorBox.textContent = message;
    errorBox.hidden = false;
    button.disabled = false;
  }

  async function newSetupIntent() {
    const response = await fetch(form.dataset.setupUrl, {
      method: "POST",
      headers: { "X-CSRFToken": form.elements.csrfmiddlewaretoken.value },
      credentials: "same-origin",
    });
    const data = await response.json().catch(function () { return {}; });
    return { status: response.status, data: data };
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    errorBox.hidden = true;
    button.disabled = true;
    statusBox.textContent = "Saving your card…";
    statusBox.hidden = false;
    let setup;
    try {
      setup = await newSetupIntent();
    } catch (error) {
      showError("We could not reach the server. Please try again.");
      return;
    }
    if (setup.status !== 201) {
      showError((setup.data.error && setup.data.error.message) || "Please try again in a minute.");
      return;
    }
    const confirmed = await stripe.confirmCardSetup(setup.data.client_secret, { payment_method: { card: card } });
    if (confirmed.error) {
      showError(confirmed.error.message || "Your card could not be used.");
      return;
    }
    const intent = confirmed.setupIntent;
    form.elements.setup_intent.value = intent.id || setup.data.client_secret.split("_secret_")[0];
    // A plain submit (not this handler again) with the action's name.
    const action = document.createElement("input");
    action.type = "hidden";
    action.name = "action";
    action.value = "card";
    form.appendChild(action);
    HTMLFormElement.prototype.submit.call(form);
  });
})();
