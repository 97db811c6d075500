// The donate form. Card details go from Stripe's card element straight to
// Stripe: the page sends the gift to be checked and gets a SetupIntent for
// it, confirms that with the card element, sends us only the resulting
// payment method id, and finishes 3-D Secure in the browser when the gift
// needs it. Works with real Stripe.js and localstripe's fake one. When the
// site asks for a challenge (a CAPTCHA, while it sees many declined cards),
// the provider's widget is loaded and the request sent again with its token.
(function () {
  "use strict";

  const form = document.getElementById("donate-form");
  if (!form || typeof Stripe === "undefined") {
    return;
  }
  const errorBox = document.getElementById("donate-error");
  const statusBox = document.getElementById("donate-status");
  const button = document.getElementById("donate-button");
  const challengeBox = document.getElementById("donate-challenge");
  const exponent = parseInt(form.dataset.exponent, 10);

  const stripe = Stripe(form.dataset.stripeKey);
  const card = stripe.elements().create("card");
  card.mount("#card-element");

  // The gift request whose answer never arrived (a network error, or a
  // 503 for a one-time gift, below), with its Idempotency-Key. The next
  // submit sends exactly it again, card included, so the server answers the
  // first attempt's outcome instead of charging twice (the same key with
  // another body would be refused).
  let unanswered = null;

  // The key is what ties a retry to its gift, so it must be unguessable:
  // 128 bits from the browser's cryptographic generator, never Math.random.
  function newKey() {
    if (crypto.randomUUID) {
      return crypto.randomUUID();
    }
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  // "40", "40.5", "1,000.00" -> minor units, with string arithmetic only.
  function toMinorUnits(text) {
    const cleaned = text.replace(/[\s,$€£]/g, "");
    const pattern = new RegExp("^(\\d{1,9})(?:\\.(\\d{1," + exponent + "}))?$");
    const match = pattern.exec(cleaned);
    if (!match) {
      return null;
    }
    const fraction = (match[2] || "").padEnd(exponent, "0");
    return parseInt(match[1] + fraction, 10);
  }

  // "Split my gift between funds": an amount for each fund instead of one
  // amount and one fund, sent as `allocations` (at least two parts, the
  // gift being their sum; the server checks each part again).
  const splitToggle = document.getElementById("split-gift");
  const splitInputs = Array.from(form.querySelectorAll("input.split-amount"));

  function isSplit() {
    return Boolean(splitToggle && splitToggle.checked);
  }

  // Each fund given an amount, in the page's order: {input, fund, amount}
  // (amount null where the text is not an amount).
  function splitParts() {
    return splitInputs
      .filter(function (input) { return input.value.trim() !== ""; })
      .map(function (input) { return { input: input, fund: input.dataset.fund, amount: toMinorUnits(input.value.trim()) }; })
      .filter(function (part) { return part.amount !== 0; });
  }

  function splitTotal() {
    return splitParts().reduce(function (sum, part) { return sum + (part.amount || 0); }, 0);
  }

  function chosenAmount() {
    if (isSplit()) {
      return splitTotal() || null;
    }
    const custom = form.elements.custom_amount.value.trim();
    if (custom) {
      return toMinorUnits(custom);
    }
    const preset = form.querySelector("input[name=preset]:checked");
    return preset ? parseInt(preset.value, 10) : null;
  }

  // "Cover the fees": the amount beside it is the server's own rule
  // (GET /api/fee-cover/), asked again whenever the amount changes.
  const feeToCover = document.getElementById("fee-to-cover");
  let feeAsked = 0;
  let feeMinor = null;

  // The Gift Aid declaration names what the card is charged: the gift, and
  // the fees when the donor covers them (as the server words it).
  const giftAidAmount = document.getElementById("gift-aid-amount");
  function showGiftAidAmount() {
    const amount = chosenAmount();
    if (!giftAidAmount || !amount) {
      return;
    }
    const covered = form.elements.cover_fees.checked && feeMinor !== null ? feeMinor : 0;
    giftAidAmount.textContent = formatMoney(amount + covered);
  }

  async function showFeeToCover() {
    const amount = chosenAmount();
    if (!amount) {
      return;
    }
    const asked = ++feeAsked;
    const query = new URLSearchParams({ amount_minor: amount, currency: form.dataset.currency });
    try {
      const response = await fetch(form.dataset.feeCoverUrl + "?" + query);
      if (response.ok && asked === feeAsked) {
        feeMinor = (await response.json()).fee_minor;
        feeToCover.textContent = formatMoney(feeMinor);
        showGiftAidAmount();
      }
    } catch (err) {
      // The figure already shown stays; the server charges by its rule.
    }
  }

  form.addEventListener("change", function (event) {
    if (event.target.name === "preset") {
      showFeeToCover();
    }
    if (event.target.name === "cover_fees" || event.target.name === "preset") {
      showGiftAidAmount();
    }
  });
  form.elements.custom_amount.addEventListener("input", showFeeToCover);

  if (splitToggle) {
    splitToggle.addEventListener("change", function () {
      const split = splitToggle.checked;
      splitToggle.setAttribute("aria-expanded", String(split));
      document.getElementById("split-details").hidden = !split;
      document.getElementById("one-fund").hidden = split;
      document.getElementById("one-amount").hidden = split;
      document.getElementById("split-amount-note").hidden = !split;
      clearFieldErrors();
      showFeeToCover();
    });
    splitInputs.forEach(function (input) {
      input.addEventListener("input", function () {
        document.getElementById("split-total").textContent = formatMoney(splitTotal());
        showFeeToCover();
      });
    });
  }

  // The address's words follow the country chosen (ZIP code, Postcode...).
  // Where the campaign's receipts need the address, so do the region and
  // postal code being required (as the server decides: core/countries.py).
  const addressLabels = JSON.parse(form.dataset.addressLabels);
  const addressBox = document.getElementById("address");
  const addressRequired = addressBox.dataset.required === "true";
  const addressRules = JSON.parse(addressBox.dataset.rules);
  form.elements.country.addEventListener("change", function () {
    const country = form.elements.country.value;
    const labels = addressLabels[country] || addressLabels["*"];
    let regionLabel = labels[0];
    let postalLabel = labels[1];
    if (addressRequired) {
      const needsRegion = addressRules.region.indexOf(country) !== -1;
      const needsPostalCode = addressRules.noPostalCode.indexOf(country) === -1;
      form.elements.region.required = needsRegion;
      form.elements.postal_code.required = needsPostalCode;
      regionLabel += needsRegion ? " (required)" : "";
      postalLabel += needsPostalCode ? " (required)" : " (optional)";
    }
    document.getElementById("region-label").textContent = regionLabel;
    document.getElementById("postal-code-label").textContent = postalLabel;
  });

  function addressGiven() {
    const fields = ["address_line1", "address_line2", "city", "region", "postal_code"];
    const address = { country: form.elements.country.value };
    fields.forEach(function (name) { address[name.replace("address_", "")] = form.elements[name].value.trim(); });
    // A campaign that needs the address always gets it, so that the server
    // names each part missing.
    return addressRequired || address.line1 || address.city || address.postal_code ? address : null;
  }

  // The fields a problem can be shown beside, by the server's name for it:
  // each input's message is the element "<input id>-error", which the
  // input's aria-describedby names, so it is read with the field. Every
  // problem is also summed up in the form's alert.
  const FIELD_INPUTS = {
    "donor.address.line1": "address-line1",
    "donor.address.line2": "address-line2",
    "donor.address.city": "city",
    "donor.address.region": "region",
    "donor.address.postal_code": "postal-code",
    "donor.address.country": "country",
    "dedication.name": "dedication-name",
    "dedication.notify_email": "dedication-email",
    "donor.organization": "organization-name",
    "donor.organization.name": "organization-name",
  };
  // A UK campaign's Gift Aid declaration (absent elsewhere).
  const giftAidBox = document.getElementById("gift-aid");
  if (giftAidBox) {
    FIELD_INPUTS.gift_aid = "gift-aid";
  }

  // A split gift's parts as last sent: the server names a part's problem
  // by its place in `allocations` ("allocations.1.amount_minor"), and the
  // page shows it beside that fund's amount. "allocations" itself (the
  // list as a whole) goes beside the first fund's.
  let sentParts = [];

  // FIELD_INPUTS, and every split amount: by the server's name for the
  // part last sent, and as "split.<fund>" for the page's own check.
  function fieldInputs() {
    const inputs = Object.assign({}, FIELD_INPUTS);
    splitInputs.forEach(function (input) { inputs["split." + input.dataset.fund] = input.id; });
    if (splitInputs.length) {
      inputs.allocations = splitInputs[0].id;
    }
    sentParts.forEach(function (part, index) {
      ["", ".fund", ".amount_minor"].forEach(function (suffix) {
        inputs["allocations." + index + suffix] = part.input.id;
      });
    });
    return inputs;
  }

  function clearFieldErrors() {
    const inputs = fieldInputs();
    Object.keys(inputs).forEach(function (field) {
      const input = document.getElementById(inputs[field]);
      const message = document.getElementById(inputs[field] + "-error");
      input.removeAttribute("aria-invalid");
      message.textContent = "";
      message.hidden = true;
    });
  }

  // Marks each field named in `errors` (the server's, or the page's own
  // check) and moves the focus to the first on the page; the alert says
  // what is wrong.
  function showRequestErrors(errors) {
    const inputs = fieldInputs();
    // Several problems may belong to one input (a part's fund and amount).
    const messages = {};
    Object.keys(inputs).forEach(function (field) {
      if (errors[field]) {
        messages[inputs[field]] = (messages[inputs[field]] || []).concat(errors[field]);
      }
    });
    let first = null;
    Object.keys(messages).forEach(function (id) {
      const input = document.getElementById(id);
      const message = document.getElementById(id + "-error");
      input.setAttribute("aria-invalid", "true");
      message.textContent = messages[id].join(" ");
      message.hidden = false;
      if (!first || first.compareDocumentPosition(input) & Node.DOCUMENT_POSITION_PRECEDING) {
        first = input;
      }
    });
    showError(firstErrorMessage(errors, inputs));
    if (first) {
      first.focus();
    }
  }

  // "Dedicate this gift": the name and the address to tell are asked for
  // only once "in honour of" or "in memory of" is chosen.
  const dedicationDetails = document.getElementById("dedication-details");
  const dedicationFields = {
    "dedication.name": { input: "dedication-name", error: "dedication-name-error" },
    "dedication.notify_email": { input: "dedication-email", error: "dedication-email-error" },
  };

  function dedicationKind() {
    const chosen = form.querySelector("input[name=dedication_kind]:checked");
    return chosen ? chosen.value : "";
  }

  form.addEventListener("change", function (event) {
    if (event.target.name === "dedication_kind") {
      dedicationDetails.hidden = !dedicationKind();
      clearFieldErrors();
    }
  });

  // "I'm giving on behalf of an organisation": its name is asked for only
  // once the box is ticked; its address is the one given below.
  const organizationBox = document.getElementById("for-organization");
  const organizationDetails = document.getElementById("organization-details");
  organizationBox.addEventListener("change", function () {
    organizationDetails.hidden = !organizationBox.checked;
    organizationBox.setAttribute("aria-expanded", String(organizationBox.checked));
    clearFieldErrors();
  });

  function organizationGiven() {
    return organizationBox.checked ? form.elements.organization_name.value.trim() : null;
  }

  function dedicationGiven() {
    const kind = dedicationKind();
    if (!kind) {
      return null;
    }
    const email = form.elements.dedication_notify_email.value.trim();
    return { kind: kind, name: form.elements.dedication_name.value.trim(), notify_email: email || null };
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
    statusBox.textContent = "";
    button.disabled = false;
  }

  function firstErrorMessage(errors, inputs) {
    const field = Object.keys(errors)[0];
    const input = inputs && inputs[field] && document.getElementById(inputs[field]);
    let label;
    if (field === "__all__") {
      label = "";
    } else if (input && input.dataset.fundName) {
      label = input.dataset.fundName + ": ";
    } else {
      label = field.replace("donor.", "").replace("dedication.", "dedication ").replace(/_/g, " ") + ": ";
    }
    return label + errors[field][0];
  }

  async function postJson(url, body, headers) {
    const response = await fetch(url, {
      method: "POST",
      // The API records a Gift Aid declaration as made on the donate form.
      headers: Object.assign({ "Content-Type": "application/json", "Hopefund-Client": "donate-form" }, headers || {}),
      body: JSON.stringify(body || {}),
    });
    const data = await response.json().catch(function () { return {}; });
    return { status: response.status, data: data };
  }

  // The challenge providers the server may name, loaded only when asked for
  // and rendered explicitly (no inline script).
  const CHALLENGE_PROVIDERS = {
    turnstile: { script: "https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit", api: "turnstile" },
    hcaptcha: { script: "https://js.hcaptcha.com/1/api.js?render=explicit&recaptchacompat=off", api: "hcaptcha" },
  };
  let challengeWidget = null;
  let deliverToken = null;

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      const script = document.createElement("script");
      script.src = src;
      script.async = true;
      script.onload = resolve;
      script.onerror = function () { reject(new Error("could not load " + src)); };
      document.head.appendChild(script);
    });
  }

  // Show the provider's widget and wait for the person to pass it. Each
  // token is good for one request, so the widget is reset for the next.
  async function passChallenge(error) {
    const provider = CHALLENGE_PROVIDERS[error.provider];
    if (!provider) {
      throw new Error("unknown challenge provider " + error.provider);
    }
    statusBox.textContent = error.message;
    challengeBox.hidden = false;
    const token = new Promise(function (resolve) { deliverToken = resolve; });
    if (!challengeWidget) {
      if (!window[provider.api]) {
        await loadScript(provider.script);
      }
      const api = window[provider.api];
      const id = api.render(challengeBox, {
        sitekey: error.site_key,
        callback: function (value) {
          if (deliverToken) {
            deliverToken(value);
            deliverToken = null;
          }
        },
      });
      challengeWidget = { api: api, id: id };
    } else {
      challengeWidget.api.reset(challengeWidget.id);
    }
    const value = await token;
    statusBox.textContent = "Processing your gift…";
    return value;
  }

  function asksForChallenge(answer) {
    return answer.status === 403 && answer.data.error && answer.data.error.code === "challenge_required";
  }

  async function postChecked(url, body, headers) {
    let answer = await postJson(url, body, headers);
    for (let tries = 0; tries < 3 && asksForChallenge(answer); tries += 1) {
      const token = await passChallenge(answer.data.error);
      answer = await postJson(url, body, Object.assign({ "Captcha-Token": token }, headers || {}));
    }
    return answer;
  }

  // The gift as the donor filled it in; the card's payment method is added
  // once Stripe has made it.
  function giftBody(amount) {
    const fund = form.querySelector("input[name=fund]:checked");
    const body = {
      campaign: form.dataset.campaign,
      team: form.dataset.team || null,
      fundraiser: form.dataset.fundraiser || null,
      fund: fund ? fund.value : "",
      amount_minor: amount,
      currency: form.dataset.currency,
      frequency: form.querySelector("input[name=frequency]:checked").value,
      website: form.elements.website.value,
      cover_fees: form.elements.cover_fees.checked,
      email_updates: form.elements.email_updates.checked,
      anonymous: form.elements.anonymous.checked,
      message: form.elements.message.value,
      donor: {
        email: form.elements.email.value,
        first_name: form.elements.first_name.value,
        last_name: form.elements.last_name.value,
      },
    };
    const address = addressGiven();
    if (address) {
      body.donor.address = address;
    }
    const dedication = dedicationGiven();
    if (dedication) {
      body.dedication = dedication;
    }
    const organization = organizationGiven();
    if (organization !== null) {
      body.donor.organization = organization;
    }
    if (giftAidBox) {
      body.gift_aid = giftAidBox.checked;
    }
    if (isSplit()) {
      sentParts = splitParts();
      delete body.fund;
      delete body.amount_minor;
      body.allocations = sentParts.map(function (part) { return { fund: part.fund, amount_minor: part.amount }; });
    } else {
      sentParts = [];
    }
    return body;
  }

  // The page's own check of a split gift before anything is sent: each
  // amount readable, and at least two funds given one.
  function splitProblems() {
    const errors = {};
    const parts = splitParts();
    parts.forEach(function (part) {
      if (part.amount === null) {
        errors["split." + part.fund] = ["Please enter an amount such as 40.00, or leave it empty."];
      }
    });
    if (!Object.keys(errors).length && parts.length < 2) {
      const empty = splitInputs.filter(function (input) { return input.value.trim() === "" || toMinorUnits(input.value.trim()) === 0; });
      const target = empty[0] || splitInputs[0];
      errors["split." + target.dataset.fund] = ["Give an amount to at least two funds, or untick “Split my gift between funds”."];
    }
    return errors;
  }

  async function waitForOutcome(id) {
    for (let attempt = 0; attempt < 30; attempt += 1) {
      const response = await fetch("/api/donations/" + id + "/");
      const data = await response.json();
      if (data.status !== "pending" && data.status !== "requires_action") {
        return data.status;
      }
      await new Promise(function (resolve) { setTimeout(resolve, 1000); });
    }
    return "pending";
  }

  // Display only: every amount is computed and charged by the server.
  function formatMoney(amountMinor) {
    return new Intl.NumberFormat("en-US", { style: "currency", currency: form.dataset.currency.toUpperCase() })
      .format(amountMinor / Math.pow(10, exponent));
  }

  function showThanks(amountMinor, body) {
    const amount = formatMoney(amountMinor);
    const monthly = form.querySelector("input[name=frequency]:checked").value === "monthly";
    document.getElementById("thanks-amount").textContent = monthly ? amount + " a month" : amount;
    if (body.allocations) {
      const names = {};
      splitInputs.forEach(function (input) { names[input.dataset.fund] = input.dataset.fundName; });
      const parts = document.getElementById("thanks-parts");
      parts.textContent = "Split between " + body.allocations.map(function (part) {
        return names[part.fund] + " (" + formatMoney(part.amount_minor) + ")";
      }).join(" and ") + (body.cover_fees ? ", with the card fees you covered shared between them." : ".");
      parts.hidden = false;
    }
    document.getElementById("thanks-email").textContent = form.elements.email.value;
    form.hidden = true;
    const thanks = document.getElementById("donate-thanks");
    thanks.hidden = false;
    thanks.focus();
  }

  // The card form's step: the server checks the gift, then Stripe.js turns
  // the card into a payment method. The gift request to send, or null once
  // the reason it cannot go ahead is on the page.
  async function withNewCard(body) {
    const setup = await postChecked(form.dataset.setupUrl, body);
    if (setup.status === 400) {
      showRequestErrors(setup.data.errors);
      return null;
    }
    if (setup.status !== 201) {
      showError((setup.data.error && setup.data.error.message) || "Please try again in a minute.");
      return null;
    }
    const fullName = (form.elements.first_name.value + " " + form.elements.last_name.value).trim();
    const confirmed = await stripe.confirmCardSetup(setup.data.client_secret, {
      payment_method: { card: card, billing_details: { name: fullName, email: form.elements.email.value } },
    });
    if (confirmed.error) {
      showError(confirmed.error.message || "Your card could not be used.");
      return null;
    }
    const paymentMethod = confirmed.setupIntent.payment_method;
    body.payment_method = typeof paymentMethod === "string" ? paymentMethod : paymentMethod.id;
    return { body: body, key: newKey() };
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    errorBox.hidden = true;
    clearFieldErrors();
    if (isSplit() && !unanswered) {
      const problems = splitProblems();
      if (Object.keys(problems).length) {
        showRequestErrors(problems);
        return;
      }
    }
    const amount = chosenAmount();
    if (!amount) {
      showError("Please choose an amount or enter one such as 40.00.");
      return;
    }
    const dedication = dedicationGiven();
    if (dedication && !dedication.name && !unanswered) {
      showRequestErrors({ "dedication.name": ["Please give the name of the person this gift honours or remembers."] });
      return;
    }
    if (organizationGiven() === "" && !unanswered) {
      showRequestErrors({ "donor.organization.name": ["Please give the organisation's name."] });
      return;
    }
    button.disabled = true;
    statusBox.textContent = "Processing your gift…";
    try {
      const request = unanswered || (await withNewCard(giftBody(amount)));
      if (!request) {
        return;
      }
      unanswered = request;
      const gift = await postChecked(form.dataset.donateUrl, request.body, { "Idempotency-Key": request.key });
      // A 503 on a one-time gift: Stripe's answer never reached the server,
      // and the card may have been charged. That request goes again too, so
      // the server charges the same gift under the same Stripe key (and gets
      // the first charge back) instead of making a second gift. A monthly
      // gift is not resumed that way: its plan was stopped, and only a new
      // request can start one.
      if (gift.status !== 503 || request.body.frequency === "monthly") {
        unanswered = null;
      }

      if (gift.status === 400) {
        showRequestErrors(gift.data.errors);
        return;
      }
      if (gift.status !== 201) {
        showError((gift.data.error && gift.data.error.message) || "Your gift could not be completed.");
        return;
      }
      let status = gift.data.status;
      if (status === "requires_action") {
        const authenticated = await stripe.confirmCardPayment(gift.data.client_secret);
        // A failed authentication can also come back as an intent that
        // needs a new card rather than as an error (localstripe does this).
        const intent = authenticated.paymentIntent;
        const refused = intent && (intent.status === "requires_payment_method" || intent.status === "canceled");
        if (authenticated.error || refused) {
          showError((authenticated.error && authenticated.error.message) ||
            "Your bank did not authorise the payment. No money was taken.");
          return;
        }
      }
      if (status !== "succeeded") {
        statusBox.textContent = "Confirming with your bank…";
        status = await waitForOutcome(gift.data.id);
      }
      if (status === "succeeded") {
        showThanks(gift.data.amount_minor, request.body);
      } else if (status === "failed") {
        showError("Your gift could not be completed. No money was taken.");
      } else {
        statusBox.textContent = "Your bank is still confirming the payment. We will email your receipt as soon as it is done.";
      }
    } catch (err) {
      showError("Something went wrong on the network. Please try again: you will not be charged twice.");
    }
  });
})();
