"""Patient collections: statements, payment, cards on file, payment plans, the collection
agency and bad debt.

When a claim leaves a balance owed by the patient, a balance of at most
``small_balance_writeoff`` dollars is written off at once (bad debt, reason
``small_balance``). Otherwise, with a ``card_on_file`` for the balance (an insurer's
remittance left it: a self-pay visit is asked for at the desk), the card is charged
``charge_days`` later, which pays it unless declined. Else (or when declined) statements go out
every ``statement_cycle_days``, the first the day after adjudication. After statement *i* the
patient pays the whole balance with probability ``pay_probability_per_statement[i]``, on a day
drawn uniformly within the cycle. A balance of at least ``payment_plans.min_balance`` unpaid
after the first statement goes on a payment plan with its ``share``: equal monthly instalments
(the last takes what is left), each missed (a default) with ``default_rate``, the rest then
placed with the agency. A balance
unpaid after the last statement (or a defaulted plan) goes to the agency, which recovers it
after ``agency_days`` with ``agency_recovery_rate`` (keeping ``agency_fee_rate`` of it as its
fee, a cost); otherwise it is written off as bad debt then. The whole path is drawn from the
claim's own uniforms when the balance arises (no process waits), and its events are posted on
their days. Each statement (and each instalment's) brings its expected patients' calls to the
billers (``billing.patient_calls_per_statement``, ``revenue/work.py``).

Self-pay visits: the self-pay discount is a contractual adjustment at charge entry and the rest
is the patient's, collected the same way; a patient who qualifies for the practice's financial
assistance gets its discount instead, posted as a contractual adjustment with reason
``charity`` (charity care).
"""

from __future__ import annotations

import math

from practicesim import ledger as lg
from practicesim.context import day_buckets
from practicesim.finance import cents
from practicesim.revenue.claims import (
    AGENCY,
    PATIENT,
    U_AGENCY,
    U_AGENCY_DAYS,
    U_CARD,
    U_CARD_DECLINE,
    U_INSTALMENTS,
    U_PLAN,
    U_STATEMENTS,
    Claim,
)
from practicesim.revenue.context import RevenueContext
from practicesim.revenue.work import WorkQueues
from practicesim.scenario.billing import PaymentPlans

PAY, PLACE, RECOVER, WRITE_OFF, INSTALMENT = range(5)
SMALL_BALANCE = "small_balance"
"""The ``carc_reason`` of a small-balance write-off (the practice's policy, not a CARC)."""


class PatientCollections:
    """Statements and patient payments for claims with a patient balance."""

    def __init__(self, ctx: RevenueContext, work: WorkQueues) -> None:
        self.ctx = ctx
        self.work = work
        self.due: list[list[tuple[Claim, int, int]]] = day_buckets(ctx.n_days)
        """Per day: (claim, action, instalment cents) due that day."""
        self.agency_days = ctx.scenario.patient_collections.agency_days

    def self_pay(self, day: int, claim: Claim, desk: int = 0) -> None:
        """Charge entry of a self-pay visit: discount, then the patient owes the rest, less
        ``desk``, what it paid at the desk (cents; more than it owes, under terms changed
        since the visit, is refunded)."""
        payer = self.ctx.scenario.payers[claim.payer]
        accounts = self.ctx.accounts
        assistance = payer.financial_assistance
        if claim.assisted and assistance is not None:
            discount = round(claim.charge_cents * assistance.discount)
            accounts.reduce(day, claim, lg.CONTRACTUAL, min(discount, claim.balance), "",
                            lg.CHARITY)
        else:
            discount = round(claim.charge_cents * payer.self_pay_discount)
            accounts.reduce(day, claim, lg.CONTRACTUAL, min(discount, claim.balance))
        owed = claim.charge_cents - discount
        accounts.transfer_to_patient(day, claim, owed, "")
        if desk:
            accounts.reduce(day, claim, lg.PATIENT_PAYMENT, min(desk, claim.balance))
            if desk > owed:
                self.ctx.finance.refunded(day, desk - owed, claim.provider)
        claim.first_adjudication_day = day
        claim.patient_balance = claim.balance
        if claim.balance:
            self.bill(day, claim)

    def bill(self, day: int, claim: Claim, already_sent: int = 0,
             next_statement_day: int | None = None) -> None:
        """A patient balance arose on ``day``: draw its whole collection path. An opening claim
        (warm start) that has had ``already_sent`` statements goes on with the next one, sent on
        ``next_statement_day`` (default: the day after ``day``)."""
        rules = self.ctx.scenario.patient_collections
        claim.stage = PATIENT
        if already_sent == 0 and self._settled_at_once(day, claim):
            return
        cycle = rules.statement_cycle_days
        statement_cost = cents(rules.statement_cost)
        u = claim.u
        probabilities = rules.pay_probability_per_statement
        if (claim.payer in self.ctx.self_pay_index
                and rules.self_pay_pay_probability_per_statement is not None):
            probabilities = rules.self_pay_pay_probability_per_statement
        already_sent = min(already_sent, len(probabilities))
        first = day + 1 if next_statement_day is None else next_statement_day
        plans = rules.payment_plans
        for i in range(already_sent, len(probabilities)):
            probability = probabilities[i]
            sent = first + (i - already_sent) * cycle
            self.ctx.finance.add(sent, "statement_costs", statement_cost)
            self.work.expect_calls(sent)
            pays, when = u[U_STATEMENTS + 2 * i], u[U_STATEMENTS + 2 * i + 1]
            if pays < probability:
                self._schedule(sent + 1 + math.floor(when * (cycle - 1)), claim, PAY)
                return
            if (i == 0 and plans is not None and u[U_PLAN] < plans.share
                    and claim.patient_balance >= cents(plans.min_balance)):
                self._plan(sent + cycle, claim, plans, cycle, statement_cost)
                return
        self._schedule(first + (len(probabilities) - already_sent) * cycle, claim, PLACE)

    def _settled_at_once(self, day: int, claim: Claim) -> bool:
        """A new balance small enough is written off today; one an insurer left whose patient
        has a card on file is charged ``charge_days`` later unless the card is declined. True
        if either."""
        rules = self.ctx.scenario.patient_collections
        if claim.patient_balance <= cents(rules.small_balance_writeoff):
            self.ctx.accounts.reduce(day, claim, lg.BAD_DEBT, claim.patient_balance, "",
                                     SMALL_BALANCE)
            return True
        card = rules.card_on_file
        if (card is not None and claim.payer not in self.ctx.self_pay_index
                and claim.u[U_CARD] < card.share
                and claim.u[U_CARD_DECLINE] >= card.decline_rate):
            self._schedule(day + card.charge_days, claim, PAY)
            return True
        return False

    def _plan(self, start: int, claim: Claim, plans: PaymentPlans, cycle: int,
              statement_cost: int) -> None:
        """The balance goes on a plan: ``months`` instalments one ``cycle`` apart from
        ``start`` (each with a statement), the first taking the odd cents and the last what is
        left; at a default, the rest is placed with the agency instead."""
        balance, months = claim.patient_balance, plans.months
        for k in range(months):
            when = start + k * cycle
            self.ctx.finance.add(when, "statement_costs", statement_cost)
            self.work.expect_calls(when)
            if claim.u[U_INSTALMENTS + k] < plans.default_rate:
                self._schedule(when, claim, PLACE)
                return
            if k == months - 1:  # the last takes what is left (a line paid since, too)
                self._schedule(when, claim, PAY)
                return
            share = balance // months + (balance % months if k == 0 else 0)
            self._schedule(when, claim, INSTALMENT, share)

    def _schedule(self, day: int, claim: Claim, action: int, cents_due: int = 0) -> None:
        if day < self.ctx.n_days:
            self.due[day].append((claim, action, cents_due))

    def on_day(self, day: int) -> None:
        rules = self.ctx.scenario.patient_collections
        accounts, finance = self.ctx.accounts, self.ctx.finance
        fee_rate = self.ctx.vendor.fee_rate(day, self.ctx.scenario.outsourcing)
        for claim, action, instalment in self.due[day]:
            amount = claim.patient_balance
            if action == INSTALMENT:
                amount = min(instalment, amount)
                accounts.reduce(day, claim, lg.PATIENT_PAYMENT, amount)
                finance.collected(day, amount, fee_rate, claim.provider)
            elif action == PLACE:
                claim.stage = AGENCY
                recovered = claim.u[U_AGENCY] < rules.agency_recovery_rate
                later = day + max(1, math.ceil(self.agency_days.quantile(claim.u[U_AGENCY_DAYS])))
                self._schedule(later, claim, RECOVER if recovered else WRITE_OFF)
            elif action == WRITE_OFF:
                accounts.reduce(day, claim, lg.BAD_DEBT, amount)
            else:
                accounts.reduce(day, claim, lg.PATIENT_PAYMENT, amount)
                finance.collected(day, amount, fee_rate, claim.provider)
                if action == RECOVER:
                    finance.add(day, "agency_fees", round(amount * rules.agency_fee_rate))
        self.due[day] = []
