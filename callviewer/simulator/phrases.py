"""The simulator's phrase bank and scenario scripts.

Every spoken line of a simulated call is one phrase of this bank, so a transcript and its recording
always say the same thing: `resources/voices/make_voices.py` renders each phrase once (agent and
customer voices) and records its duration; the call generator times the turns from those durations.

A phrase is a text, or ``(text, facts)`` where `facts` are things the line establishes (the
customer's name, the chosen slot, ...) that later tool calls and the summary refer to.
Change a text here and re-run ``resources/voices/make_voices.py``; until then the clip is treated as
missing and that line is rendered with a synthetic stand-in voice.

Scenario steps (interpreted by `callviewer.simulator.generate`):

- ``"a:key1|key2"`` / ``"c:key1|key2"``: the agent / customer says one of the phrases;
- ``("maybe", p, [steps])``: the steps happen with probability p;
- ``("one", [[steps], [steps], ...])``: exactly one of the branches happens;
- ``("tool", name, {args template}, "result template")``: a silent tool call and its result;
  templates are ``str.format``-ed with the facts gathered so far plus a few dates (next_tue, ...);
- ``("set", {facts})``: records facts without saying anything;
- ``("beep",)``: a voicemail beep pause (silence) of about a second.
"""

from __future__ import annotations

from typing import Any

Phrase = str | tuple[str, dict[str, Any]]

AGENT: dict[str, Phrase] = {
    # greetings
    "greet_dental": "Thank you for calling Bright Smile Dental, this is Ava, your virtual assistant. "
                    "How can I help you today?",
    "greet_dental_out": "Hi, this is Ava calling from Bright Smile Dental. Am I speaking with the patient "
                        "on file?",
    "who_dental": "This is Ava, the virtual assistant for Bright Smile Dental. I'm calling about your "
                  "upcoming visit.",
    "greet_shop": "Hi, you've reached Northwind support. My name is Max. What can I do for you today?",
    "greet_solar": "Hello, this is Leo from Sunrise Solar. I'm following up on the form you filled out "
                   "about solar panels. Do you have a couple of minutes?",
    "who_solar": "Of course. I'm Leo, an assistant with Sunrise Solar. You asked for a quote on our "
                 "website last week.",
    "ask_person_dental": "Hi, this is Ava from Bright Smile Dental. May I speak with Jordan Smith, please?",
    "ask_person_solar": "Hello, this is Leo from Sunrise Solar. Am I speaking with Jordan Smith?",
    # identity
    "ask_name": "Sure, I can help with that. Can I have your full name, please?",
    "ask_dob": "Thank you. And for verification, what is your date of birth?",
    "ask_order_number": "I'm sorry to hear that. Could you give me your order number? It starts with N W.",
    "ask_order_number2": "Let me look into it. What's the order number?",
    "ask_email": "Thanks. And what email address is on the account?",
    "verified": "Thank you, I've found your file.",
    "repeat_please": "I'm sorry, I didn't quite catch that. Could you say it again?",
    "repeat_sure": "Of course. I said, could you confirm that for me one more time?",
    # holding and tools
    "checking": "Let me check that for you. One moment, please.",
    "checking2": "Give me just a second while I pull that up.",
    "thanks_wait": "Thanks for waiting.",
    "take_time": "Sure, take your time.",
    # dental
    "ask_reason_visit": "What would you like to come in for? A cleaning, a checkup, or something else?",
    "pain_sorry": "I'm sorry you're in pain. Let's get you seen as soon as possible.",
    "ask_day_pref": "Do you have a preferred day, or time of day?",
    "offer_slots": "I have an opening on Tuesday at ten a.m., or Thursday at two thirty p.m. "
                   "Which works better for you?",
    "confirm_thu": "Great, you're all set for Thursday at two thirty p.m. with Doctor Patel.",
    "confirm_tue": "Perfect, you're booked for Tuesday at ten a.m. with Doctor Patel.",
    "reminder_text": "You'll get a text reminder the day before your appointment.",
    "arrive_early": "Please arrive about ten minutes early to fill out any paperwork.",
    "insurance_answer": "Yes, we accept most major insurance plans, including Delta Dental and Cigna.",
    "reminder_out": "I'm calling to remind you about your appointment tomorrow at nine fifteen a.m. "
                    "Will you be able to make it?",
    "see_you": "Wonderful, we'll see you tomorrow then.",
    "reschedule_offer": "No problem at all. Would you like to reschedule for another day?",
    "cancel_confirm": "Okay, I've cancelled tomorrow's appointment. Just call us whenever you're ready to "
                      "book again.",
    "cafe_tip": "Oh, and if you're early, the café next door makes a great latte.",
    # billing and orders
    "see_double_charge": "I can see two charges of forty nine dollars and ninety nine cents on the same "
                         "day. That does look like a duplicate.",
    "refund_issued": "I've issued a refund for the duplicate charge. You should see it on your statement "
                     "within five to seven business days.",
    "refund_time": "Refunds usually take five to seven business days, depending on your bank.",
    "refund_policy": "Our policy allows returns within thirty days of delivery, so you're well within "
                     "that window.",
    "return_label": "I'll email you a prepaid return label in the next few minutes.",
    "sorry_inconvenience": "I really apologize for the inconvenience. That shouldn't have happened.",
    "ref_number": "Your reference number is R as in Robert, four, seven, two, nine.",
    "ask_billing_issue": "I can help with that. Can you tell me a bit more about the charge?",
    "see_invoice": "I can see an invoice from the fourteenth for three hundred and twelve dollars. "
                   "It covers the annual plan renewal.",
    "order_shipped": "Your order shipped yesterday and is currently with the courier.",
    "eta": "It's scheduled to arrive on Friday between nine a.m. and one p.m.",
    "order_delayed": "It looks like there's a delay at the regional depot, so it may arrive a day or "
                     "two late.",
    "address_confirm": "Can you confirm the delivery address is twelve Oak Street, apartment four B?",
    "leave_safe": "Done. I've added a note for the driver to leave it at the front desk.",
    "tracking_offer": "I can text you the tracking link. Would that help?",
    "sms_sent": "I've just sent that to your phone.",
    "email_sent": "I've also sent a confirmation email to the address on file.",
    # transfer
    "transfer_offer": "I understand. Let me transfer you to a member of our billing team who can help "
                      "further.",
    "transfer_now": "Please hold while I connect you. It may take a moment.",
    # solar
    "ask_homeowner": "Great. First question, do you own your home?",
    "ask_bill": "And roughly how much is your average monthly electric bill?",
    "ask_roof": "How old is your roof, approximately?",
    "ask_shade": "Is your roof mostly sunny, or is it shaded by trees?",
    "qualify_good": "Based on what you've told me, your home looks like a really good fit for solar.",
    "savings": "Most homeowners in your area save between eighty and a hundred and twenty dollars a month.",
    "cost_answer": "It depends on the size of the system, but with the federal tax credit most "
                   "installations end up between twelve and eighteen thousand dollars.",
    "offer_consult": "I'd love to set up a free consultation with one of our energy advisors. Would that "
                     "interest you?",
    "offer_wed": "I have Wednesday at three p.m. or four thirty p.m. available.",
    "consult_booked": "Perfect, I've booked your consultation. An advisor will call you at that time.",
    "not_interested_ok": "I completely understand. I'll make a note, and we won't call again. "
                         "Have a great day.",
    "weather_reply": "It really has! Hopefully the weekend will be sunnier.",
    # wrong number, voicemail
    "wrong_number_sorry": "Oh, I apologize for the confusion. I'll update our records. Have a good day.",
    "vm_dental": "Hi, this is Ava from Bright Smile Dental, calling to remind you about your appointment "
                 "tomorrow. Please call us back at five five five, zero one four two if you need to "
                 "reschedule. Thank you!",
    "vm_solar": "Hello, this is Leo from Sunrise Solar, returning your inquiry about solar panels. "
                "Give us a call back at your convenience. Thanks, and have a great day.",
    # detours that make calls longer and more varied
    "parking": "Yes, there's free parking behind the building, and street parking on Elm Avenue.",
    "hours": "We're open Saturdays from nine to two, and weekdays from eight to six.",
    "cleaning_cost": "A regular cleaning and exam is one hundred and twenty nine dollars without insurance.",
    "ask_new_patient": "Have you visited us before, or will this be your first visit?",
    "new_patient_forms": "Great. I'll text you a link to our new patient forms, so you can fill them out "
                         "ahead of time.",
    "xray": "If it's been more than a year since your last x-rays, the doctor will probably take a new set.",
    "ask_insurance_changed": "Has your insurance changed since your last visit?",
    "bring_card": "Okay, please bring your new insurance card with you.",
    "ask_phone_confirm": "Is this the best number to reach you at?",
    "card": "It was the Visa ending in four two four two.",
    "survey_offer": "After this call you may get a short survey by text. It only takes a minute.",
    "promo": "I've added a ten percent discount code to your account for your next order.",
    "other_orders": "Would you like me to check on any of your other orders while I have you?",
    "ask_address": "Can you confirm the address of the property?",
    "ask_decision": "Will anyone else be involved in the decision, like a spouse or partner?",
    "spouse_ok": "No problem. We'll make sure the advisor calls when you're both available.",
    "battery": "Yes, we offer battery storage, so you can keep the lights on during outages.",
    "install_time": "Most installations take one or two days, and the whole process, including permits, "
                    "takes about six to eight weeks.",
    "ask_credit": "Do you have a rough idea of your credit score range? It helps us find the right "
                  "financing.",
    "hoa": "Not at all. We handle the homeowners association paperwork for you.",
    # acknowledgements and closing
    "ack_great": "Great, thank you.",
    "ack_understand": "I understand, that must be frustrating.",
    "ack_sure": "Sure, no problem at all.",
    "still_there": "Are you still there?",
    "anything_else": "Is there anything else I can help you with today?",
    "goodbye": "Thank you for calling. Have a wonderful day!",
    "goodbye2": "You're welcome. Take care, goodbye.",
    "glad_help": "I'm glad I could help. Have a great rest of your day.",
}

CUSTOMER: dict[str, Phrase] = {
    "hello_q": "Hello?",
    "hello_yes": "Hi, yes, hello.",
    "yes_speaking": "Yes, speaking.",
    "who_is_this": "Sorry, who is this?",
    "oh_right": "Oh, right. I remember filling that out.",
    "oh_ok": "Oh, okay. Sure.",
    # dental
    "hi_booking": ("Hi, I'd like to book a cleaning, please.", {"visit_reason": "cleaning"}),
    "hi_toothache": ("Hello, yes. I need to make an appointment, I have a bit of a toothache.",
                     {"visit_reason": "toothache"}),
    "name_maria": ("It's Maria Gonzalez.", {"customer_name": "Maria Gonzalez"}),
    "name_zoe": ("My name is Zoë Müller. That's Z, O, E.", {"customer_name": "Zoë Müller"}),
    "name_john": ("John Carter.", {"customer_name": "John Carter"}),
    "name_priya": ("Sure, it's Priya Natarajan.", {"customer_name": "Priya Natarajan"}),
    "name_dave": ("Yeah, it's Dave O'Connor.", {"customer_name": "Dave O'Connor"}),
    "dob_1": ("March fourth, nineteen eighty seven.", {"dob": "1987-03-04"}),
    "dob_2": ("It's the twelfth of July, nineteen ninety.", {"dob": "1990-07-12"}),
    "dob_3": ("November twenty first, nineteen seventy five.", {"dob": "1975-11-21"}),
    "reason_cleaning": ("Just a regular cleaning and checkup.", {"visit_reason": "cleaning"}),
    "reason_pain": ("I've had some pain on the lower left side for a few days.",
                    {"visit_reason": "toothache"}),
    "ask_insurance": "Oh, before I forget. Do you take Delta Dental insurance?",
    "pref_morning": "Mornings are better for me if possible. Maybe early next week?",
    "pref_afternoon": "Anytime after lunch works for me.",
    "pick_thursday": ("Thursday at two thirty works for me.", {"slot": "thu"}),
    "pick_tuesday": ("Tuesday at ten is perfect.", {"slot": "tue"}),
    "will_make_it": "Yes, I'll be there.",
    "cant_make_it": "Actually, I can't make it tomorrow. Something came up at work.",
    "yes_reschedule": "Yes, please. Sometime next week would be great.",
    "call_back_later": "No, I'll call back later to reschedule. Please just cancel it for now.",
    "hold_on": "Hold on, let me grab my calendar.",
    "im_back": "Okay, I'm back. Sorry about that.",
    "cafe": "Ha, good to know. I love that café.",
    # orders and billing
    "billing_charged_twice": "Hi, I was charged twice for my last order and I'd like a refund.",
    "billing_business": "Hi, I have a question about a charge on my business account.",
    "billing_what_charge": "It's a charge from the fourteenth. I don't recognize it at all.",
    "order_number": ("Sure, it's N W, eight, three, one, five, two.", {"order_id": "NW83152"}),
    "email_maria": ("It's maria dot g at example dot com.", {"email": "maria.g@example.com"}),
    "email_john": ("john dot carter at example dot org.", {"email": "john.carter@example.org"}),
    "annoyed": "Honestly, this is the second time this has happened.",
    "refund_how_long": "How long will the refund take?",
    "return_want": "I'd also like to return the blender. It stopped working after a week.",
    "delivery_where": "Hi, I'm calling to check on my delivery. It was supposed to arrive yesterday.",
    "delivery_friday": "Friday? Okay, that's fine, I'll be home.",
    "delivery_address_yes": "Yes, that's right.",
    "delivery_leave": "Can they leave it at the front desk? I won't be home during the day.",
    "tracking_yes": "Yes, please text it to me.",
    "human_please": "Can I just speak to a real person, please?",
    "human_please2": "I'd rather talk to someone from billing directly.",
    # solar
    "solar_yes_time": "Sure, I have a few minutes.",
    "homeowner_yes": "Yes, we've owned it for about six years.",
    "bill_amount": ("It's usually around two hundred dollars, more in the summer.", {"monthly_bill": 200}),
    "roof_age": ("The roof is maybe eight years old.", {"roof_age_years": 8}),
    "roof_sunny": "Mostly sunny. There's one big tree in the back, but it doesn't cover much.",
    "cost_question": "How much does an installation usually cost?",
    "consult_yes": "Sure, that sounds good. How does Wednesday afternoon look?",
    "consult_no": "I'm not really interested right now, thanks.",
    "pick_three": ("Three o'clock works.", {"slot": "wed15"}),
    "weather": "It's been such a rainy week, hasn't it?",
    # wrong number, voicemail, hangups
    "wrong_number": "I think you have the wrong number. There's no Jordan here.",
    "vm_greeting": "Hi, you've reached Sam. I can't take your call right now. Please leave a message "
                   "after the tone.",
    "wrong_button": "Oh, sorry, I pressed the wrong button. Never mind.",
    "not_now": "Sorry, I can't talk right now.",
    # detours
    "ask_parking": "Is there parking near the office?",
    "ask_hours": "What are your hours on Saturdays?",
    "ask_cleaning_cost": "How much is a cleaning without insurance?",
    "returning": "I've been there before, maybe a year ago.",
    "first_visit": "It'll be my first time.",
    "ask_xray": "Will I need x-rays?",
    "same_insurance": "No, it's the same.",
    "new_insurance": "Actually, yes. I switched jobs, so it's Cigna now.",
    "best_number": "Yes, this is my cell.",
    "ask_card": "Which card was charged? I have two on file.",
    "ask_promo": "Is there any discount you can give me for the trouble?",
    "frustrated": "I waited at home all day yesterday because of this, so I'm a bit frustrated.",
    "just_that": "No, just that one.",
    "address": "It's forty two Maple Drive, in Springfield.",
    "spouse": "Yes, my wife. She'll want to be on the call.",
    "just_me": "No, it's just me.",
    "ask_battery": "Do you also install batteries?",
    "ask_install_time": "How long does the installation take?",
    "credit": "I think it's pretty good, over seven hundred.",
    "ask_hoa": "We have a homeowners association. Is that a problem?",
    # generic
    "ok": "Okay.",
    "ok_thanks": "Okay, thank you.",
    "yes": "Yes.",
    "sorry_repeat": "Sorry, can you repeat that? The line is a bit noisy.",
    "still_here": "Yes, I'm still here.",
    "hmm": "Hmm, let me think.",
    "thats_all": "No, that's everything. You've been very helpful.",
    "no_thanks": "No, that's all. Thanks.",
    "thanks_bye": "Great, thanks so much. Bye!",
    "bye": "Bye.",
}

SPEAKERS = {"agent": AGENT, "customer": CUSTOMER}


def text_of(speaker: str, key: str) -> str:
    p = SPEAKERS[speaker][key]
    return p if isinstance(p, str) else p[0]


def facts_of(speaker: str, key: str) -> dict[str, Any]:
    p = SPEAKERS[speaker][key]
    return {} if isinstance(p, str) else p[1]


_NAME = "c:name_maria|name_zoe|name_john|name_priya|name_dave"
_CLOSE = ["a:anything_else", "c:thats_all|no_thanks", "a:goodbye|goodbye2|glad_help",
          ("maybe", 0.6, ["c:thanks_bye|bye"])]
_REPEAT = ("maybe", 0.15, ["c:sorry_repeat", "a:repeat_sure", "c:ok"])

_AVAIL = ("tool", "check_availability",
          {"date_from": "{next_tue}", "date_to": "{next_thu}", "provider": "Dr. Patel",
           "reason": "{visit_reason}"},
          '{{"slots": ["{next_tue}T10:00:00", "{next_thu}T14:30:00"]}}')


def _book(day: str, time: str) -> tuple:
    return ("tool", "book_appointment",
            {"patient_name": "{customer_name}", "start": "{%s}T%s" % (day, time), "provider": "Dr. Patel"},
            '{{"status": "confirmed", "confirmation": "BSD-{conf}"}}')


_PICK_SLOT = ("one", [
    ["c:pick_thursday", _book("next_thu", "14:30:00"), "a:confirm_thu"],
    ["c:pick_tuesday", _book("next_tue", "10:00:00"), "a:confirm_tue"],
])

SCENARIOS: dict[str, dict[str, Any]] = {
    "dental_booking": {
        "steps": [
            "a:greet_dental",
            ("one", [["c:hi_booking"], ["c:hi_toothache", "a:pain_sorry"]]),
            "a:ask_name", _NAME,
            "a:ask_dob", "c:dob_1|dob_2|dob_3",
            ("tool", "lookup_patient", {"name": "{customer_name}", "date_of_birth": "{dob}"},
             '{{"found": true, "patient_id": "P-{conf}", "last_visit": "{last_visit}"}}'),
            "a:verified",
            ("maybe", 0.5, ["a:ask_reason_visit", "c:reason_cleaning|reason_pain"]),
            ("maybe", 0.6, ["a:ask_new_patient", ("one", [["c:returning", "a:ack_great"],
                                                          ["c:first_visit", "a:new_patient_forms", "c:ok_thanks"]])]),
            ("maybe", 0.4, ["c:ask_insurance", "a:insurance_answer"]),
            ("maybe", 0.3, ["c:ask_cleaning_cost", "a:cleaning_cost"]),
            _REPEAT,
            "a:ask_day_pref", "c:pref_morning|pref_afternoon",
            "a:checking", _AVAIL, "a:offer_slots",
            ("maybe", 0.3, ["c:hold_on", "a:take_time", "c:im_back"]),
            _PICK_SLOT,
            "a:reminder_text",
            ("maybe", 0.5, ["a:ask_phone_confirm", "c:best_number|yes"]),
            ("maybe", 0.5, ["a:arrive_early", "c:ok_thanks"]),
            ("maybe", 0.4, ["c:ask_parking", "a:parking"]),
            ("maybe", 0.3, ["c:ask_xray", "a:xray"]),
            ("maybe", 0.3, ["c:ask_hours", "a:hours"]),
            ("maybe", 0.1, ["a:cafe_tip", "c:cafe"]),
            *_CLOSE,
        ],
        "summary": "{customer_name} called to book a {visit_reason} visit and was booked with Dr. Patel "
                   "for {slot_text}. A text reminder will be sent the day before.",
        "structured": ["customer_name", "visit_reason", "appointment_time"],
        "tags": ["booking"],
    },
    "dental_reminder": {
        "steps": [
            "c:hello_q|hello_yes",
            "a:greet_dental_out",
            ("one", [["c:yes_speaking"], ["c:who_is_this", "a:who_dental", "c:oh_ok"]]),
            "a:reminder_out",
            ("maybe", 0.4, ["c:hmm", "a:take_time"]),
            ("one", [
                ["c:will_make_it", "a:see_you",
                 ("maybe", 0.6, ["a:ask_insurance_changed", ("one", [["c:same_insurance", "a:ack_great"],
                                                                     ["c:new_insurance", "a:bring_card"]])]),
                 ("maybe", 0.5, ["a:arrive_early", "c:ok_thanks"]),
                 ("maybe", 0.4, ["c:ask_parking", "a:parking"]),
                 ("set", {"result": "confirmed"})],
                ["c:cant_make_it", "a:reschedule_offer", "c:yes_reschedule", "a:ack_sure", "a:checking", _AVAIL,
                 "a:offer_slots", ("maybe", 0.3, ["c:hold_on", "a:take_time", "c:im_back"]), _PICK_SLOT,
                 ("set", {"result": "rescheduled"})],
                ["c:cant_make_it", "a:reschedule_offer", "c:call_back_later",
                 ("tool", "cancel_appointment", {"appointment_id": "A-{conf}", "reason": "patient request"},
                  '{{"status": "cancelled"}}'),
                 "a:cancel_confirm", ("set", {"result": "cancelled"})],
            ]),
            *_CLOSE,
        ],
        "summary": "Reminder call for tomorrow's 9:15 AM appointment. Outcome: {result}{slot_suffix}.",
        "structured": ["result", "appointment_time"],
        "tags": ["reminder"],
    },
    "billing_refund": {
        "steps": [
            "a:greet_shop",
            "c:billing_charged_twice",
            "a:ask_order_number", "c:order_number",
            ("maybe", 0.3, ["a:repeat_please", "c:order_number"]),
            "a:ask_email", "c:email_maria|email_john",
            "a:checking",
            ("tool", "lookup_order", {"order_id": "{order_id}", "email": "{email}"},
             '{{"order_id": "{order_id}", "status": "delivered", "charges": '
             '[{{"amount": 49.99, "date": "{charge_date}"}}, {{"amount": 49.99, "date": "{charge_date}"}}]}}'),
            ("maybe", 0.4, ["a:thanks_wait"]),
            "a:see_double_charge",
            ("maybe", 0.5, ["c:ask_card", "a:card"]),
            ("maybe", 0.4, ["c:annoyed", "a:sorry_inconvenience",
                            ("maybe", 0.5, ["c:ask_promo", "a:promo", "c:ok_thanks"])]),
            ("tool", "issue_refund", {"order_id": "{order_id}", "amount": 49.99, "reason": "duplicate_charge"},
             '{{"refund_id": "R4729", "status": "pending"}}'),
            "a:refund_issued",
            ("maybe", 0.5, ["c:refund_how_long", "a:refund_time"]),
            "a:ref_number",
            ("maybe", 0.4, ["c:return_want", "a:refund_policy", "a:return_label", "c:ok_thanks"]),
            ("maybe", 0.4, ["a:ask_phone_confirm", "c:best_number|yes"]),
            _REPEAT,
            ("maybe", 0.5, ["a:survey_offer", "c:ok"]),
            *_CLOSE,
        ],
        "summary": "Customer reported a duplicate charge of $49.99 on order {order_id}. A refund was issued "
                   "(reference R4729).",
        "structured": ["order_id", "email", "refund_amount"],
        "tags": ["billing", "refund"],
    },
    "delivery_status": {
        "steps": [
            "a:greet_shop",
            "c:delivery_where",
            "a:ask_order_number2", "c:order_number",
            "a:checking2",
            ("tool", "lookup_order", {"order_id": "{order_id}"},
             '{{"order_id": "{order_id}", "status": "in_transit", "carrier": "FastShip", "eta": "{next_fri}"}}'),
            ("one", [["a:order_shipped", "a:eta", "c:delivery_friday"],
                     ["a:order_delayed", "c:annoyed|frustrated", "a:sorry_inconvenience|ack_understand",
                      "a:eta", "c:ok",
                      ("maybe", 0.5, ["c:ask_promo", "a:promo", "c:ok_thanks"])]]),
            "a:address_confirm", "c:delivery_address_yes",
            ("maybe", 0.5, ["c:delivery_leave",
                            ("tool", "update_delivery_notes",
                             {"order_id": "{order_id}", "notes": "Leave at front desk"}, '{{"ok": true}}'),
                            "a:leave_safe"]),
            "a:tracking_offer", "c:tracking_yes",
            ("tool", "send_sms", {"to": "{customer_number}", "template": "tracking_link"},
             '{{"sent": true}}'),
            "a:sms_sent",
            ("maybe", 0.5, ["a:other_orders", "c:just_that"]),
            _REPEAT,
            ("maybe", 0.4, ["a:survey_offer", "c:ok"]),
            *_CLOSE,
        ],
        "summary": "Customer asked where order {order_id} is. It is in transit with FastShip, expected on "
                   "Friday; the tracking link was sent by SMS.",
        "structured": ["order_id", "eta"],
        "tags": ["delivery"],
    },
    "transfer_human": {
        "steps": [
            "a:greet_shop",
            "c:billing_business",
            "a:ask_name", _NAME,
            "a:ask_billing_issue", "c:billing_what_charge",
            "a:checking",
            ("tool", "lookup_invoices", {"customer_name": "{customer_name}"},
             '{{"invoices": [{{"id": "INV-2291", "amount": 312.0, "date": "{charge_date}"}}]}}'),
            "a:see_invoice",
            ("maybe", 0.5, ["c:ask_card", "a:card"]),
            ("maybe", 0.4, ["c:hmm", "a:still_there", "c:still_here"]),
            ("maybe", 0.5, ["c:frustrated", "a:ack_understand"]),
            "c:human_please|human_please2",
            "a:transfer_offer",
            ("tool", "transfer_call", {"destination": "billing", "reason": "caller asked for a person"},
             '{{"status": "transferring"}}'),
            "a:transfer_now",
            ("set", {"transferred": True}),
        ],
        "summary": "{customer_name} asked about invoice INV-2291 ($312.00) and asked for a person; the call "
                   "was transferred to billing.",
        "structured": ["customer_name", "transferred"],
        "tags": ["billing", "transfer"],
    },
    "solar_lead": {
        "steps": [
            "c:hello_q|hello_yes",
            "a:greet_solar",
            ("one", [["c:solar_yes_time"], ["c:who_is_this", "a:who_solar", "c:oh_right"]]),
            "a:ask_homeowner", "c:homeowner_yes",
            "a:ask_bill", "c:bill_amount",
            "a:ask_roof", "c:roof_age",
            ("maybe", 0.6, ["a:ask_shade", "c:roof_sunny"]),
            ("maybe", 0.6, ["a:ask_address", "c:address", "a:ack_great"]),
            ("maybe", 0.3, ["c:ask_hoa", "a:hoa"]),
            ("maybe", 0.3, ["c:weather", "a:weather_reply"]),
            ("maybe", 0.5, ["a:ask_credit", "c:credit"]),
            "a:qualify_good", "a:savings",
            ("maybe", 0.5, ["c:cost_question", "a:cost_answer", "c:hmm"]),
            ("maybe", 0.4, ["c:ask_battery", "a:battery"]),
            ("maybe", 0.4, ["c:ask_install_time", "a:install_time"]),
            ("maybe", 0.6, ["a:ask_decision", ("one", [["c:spouse", "a:spouse_ok"], ["c:just_me", "a:ack_great"]])]),
            _REPEAT,
            "a:offer_consult",
            ("one", [
                ["c:consult_yes", "a:checking",
                 ("tool", "check_availability", {"date": "{next_wed}", "type": "consultation"},
                  '{{"slots": ["{next_wed}T15:00:00", "{next_wed}T16:30:00"]}}'),
                 "a:offer_wed", "c:pick_three",
                 ("tool", "book_appointment", {"start": "{next_wed}T15:00:00", "type": "consultation",
                                               "phone": "{customer_number}"},
                  '{{"status": "confirmed", "confirmation": "SS-{conf}"}}'),
                 "a:consult_booked", "a:email_sent", ("set", {"qualified": True}), *_CLOSE],
                ["c:consult_no", "a:not_interested_ok", ("set", {"qualified": False, "failed": True})],
            ]),
        ],
        "summary": "Solar lead: homeowner, about ${monthly_bill}/month electric bill, roof about "
                   "{roof_age_years} years old. {lead_result}",
        "structured": ["monthly_bill", "roof_age_years", "qualified", "appointment_time"],
        "tags": ["lead"],
    },
    "wrong_number_dental": {
        "steps": ["c:hello_q", "a:ask_person_dental", "c:wrong_number", "a:wrong_number_sorry",
                  ("maybe", 0.5, ["c:bye"]), ("set", {"failed": True})],
        "summary": "Wrong number: the person who answered is not Jordan Smith. Contact record flagged.",
        "structured": ["wrong_number"],
        "tags": ["wrong-number"],
    },
    "wrong_number_solar": {
        "steps": ["c:hello_q", "a:ask_person_solar", "c:wrong_number", "a:wrong_number_sorry",
                  ("maybe", 0.5, ["c:bye"]), ("set", {"failed": True})],
        "summary": "Wrong number: the person who answered is not Jordan Smith. Contact record flagged.",
        "structured": ["wrong_number"],
        "tags": ["wrong-number"],
    },
    "voicemail_dental": {
        "steps": ["c:vm_greeting", ("beep",), "a:vm_dental", ("set", {"failed": True})],
        "summary": "Reached voicemail; left an appointment reminder with the call-back number.",
        "structured": ["voicemail"],
        "tags": ["voicemail"],
    },
    "voicemail_solar": {
        "steps": ["c:vm_greeting", ("beep",), "a:vm_solar", ("set", {"failed": True})],
        "summary": "Reached voicemail; left a message asking the lead to call back.",
        "structured": ["voicemail"],
        "tags": ["voicemail"],
    },
    "hangup_inbound": {
        "steps": ["a:greet_dental|greet_shop", "c:wrong_button|not_now", ("set", {"failed": True})],
        "summary": "The caller hung up right after the greeting.",
        "structured": [],
        "tags": [],
    },
    "hangup_outbound": {
        "steps": ["c:hello_q", "a:greet_dental_out|greet_solar", "c:not_now", ("set", {"failed": True})],
        "summary": "The person answered but could not talk and hung up.",
        "structured": [],
        "tags": [],
    },
}

SYSTEM_PROMPTS: dict[str, str] = {
    "dental": "You are Ava, a friendly virtual receptionist for Bright Smile Dental. Help callers book, "
              "move or cancel appointments with Dr. Patel. Verify name and date of birth before sharing "
              "any details. Keep answers short. Today is {today}.",
    "support": "You are Max, the phone support assistant for Northwind, an online home-goods shop. Look "
               "up orders with lookup_order, issue refunds for duplicate charges, and transfer the caller "
               "to a human with transfer_call when asked. Never read out full card numbers. Today is {today}.",
    "solar": "You are Leo, an outbound assistant for Sunrise Solar. Qualify the lead (home ownership, "
             "monthly bill, roof age and shade) and offer a free consultation. If the person is not "
             "interested, thank them and end the call politely. Today is {today}.",
}
