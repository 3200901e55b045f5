"""GetResults on the fakes: the status, offers and message a caller reads while the suppliers answer, and when it
is refused. (The filters and the API's answers are in tests/functional/test_results.py.)"""

from __future__ import annotations

import pytest

from search_service.domain.errors import SearchExpired, SearchNotFound
from search_service.domain.filters import OfferFilter
from search_service.domain.fleet import SUPPLIERS_BY_CODE
from search_service.domain.models import SupplierOutcome
from search_service.domain.results import ResultsView
from search_service.domain.start import Policy, Started
from search_service.domain.tokens import new_token
from tests.builders.in_memory import InMemoryService, answering, in_memory_service
from tests.fakes.clock import FixedClock

WICHITA = ("enterprise", "national", "alamo", "hertz", "avis", "budget")  # the companies at Wichita's airport


def _answer(
    service: InMemoryService, started: Started, complete: tuple[str, ...] = (), failed: tuple[str, ...] = ()
) -> None:
    """Stores these suppliers' answers as RunSearch would: offers from the simulated suppliers, or an error."""
    providers = answering()
    for code in complete:
        offers = tuple(providers[code].search(started.job.query, 5))
        outcome = SupplierOutcome(
            supplier=code, status="complete", offers=offers, latency_s=0.1, finished_at=service.clock.now()
        )
        service.cache.save_outcome(started.job.search_id, outcome)
    for code in failed:
        error = f"{SUPPLIERS_BY_CODE[code].name}'s system returned an error"
        outcome = SupplierOutcome(
            supplier=code, status="failed", error=error, latency_s=0.1, finished_at=service.clock.now()
        )
        service.cache.save_outcome(started.job.search_id, outcome)


def _states(view: ResultsView) -> dict[str, str]:
    return {state.supplier: state.state for state in view.suppliers}


# --- status and message while the suppliers answer --------------------------------------------------------


def test_results_right_after_the_start_are_pending_with_every_company_searching(service: InMemoryService) -> None:
    view = service.read(service.start_search("Wichita"))
    assert view.status == "pending" and view.offers == [] and view.alternatives is None
    assert _states(view) == dict.fromkeys(WICHITA, "searching")
    assert view.message == "Still searching Enterprise, National, Alamo, Hertz, Avis and Budget."


@pytest.mark.parametrize(
    ("complete", "failed", "status", "message"),
    [
        (("enterprise", "avis"), (), "partial", "{n} matching offers in Wichita, KS so far; still searching National, "
         "Alamo, Hertz and Budget."),
        ((), ("hertz", "avis"), "pending", "Still searching Enterprise, National, Alamo and Budget."),
        (WICHITA, (), "complete", "{n} matching offers in Wichita, KS."),
        (WICHITA[:3], WICHITA[3:], "complete", "{n} matching offers in Wichita, KS. Hertz, Avis and Budget could "
         "not be reached."),
        ((), WICHITA, "failed", "The search failed: Enterprise, National, Alamo, Hertz, Avis and Budget could not be "
         "reached. Start a new search to try again."),
    ],
    ids=["some-in", "only-failures-in", "all-in", "some-failed", "all-failed"],
)  # fmt: skip
def test_results_status_and_message_follow_the_answers_in(
    service: InMemoryService, complete: tuple[str, ...], failed: tuple[str, ...], status: str, message: str
) -> None:
    started = service.start_search("Wichita")
    _answer(service, started, complete, failed)

    view = service.read(started)

    assert view.status == status
    assert view.message == message.format(n=len(view.offers))
    assert {state.supplier for state in view.suppliers if state.state == "failed"} == set(failed)
    assert {offer.supplier for offer in view.offers} == set(complete)
    assert [offer.total_price for offer in view.offers] == sorted(offer.total_price for offer in view.offers)


def test_failed_company_says_why(service: InMemoryService) -> None:
    started = service.start_search("Wichita")
    _answer(service, started, failed=("hertz",))
    hertz = next(state for state in service.read(started).suppliers if state.supplier == "hertz")
    assert (hertz.name, hertz.state, hertz.error) == ("Hertz", "failed", "Hertz's system returned an error")


def test_companies_silent_past_the_search_deadline_count_as_failed(service: InMemoryService, clock: FixedClock) -> None:
    started = service.start_search("Wichita")
    _answer(service, started, complete=("enterprise",))
    clock.advance(seconds=120)
    assert service.read(started).status == "partial"

    clock.advance(seconds=1)
    view = service.read(started)

    assert view.status == "complete"
    silent = [state for state in view.suppliers if state.supplier != "enterprise"]
    assert {(state.state, state.error) for state in silent} == {("failed", "did not answer in time")}


def test_search_marked_failed_reads_as_failed_at_once_with_its_reason(service: InMemoryService) -> None:
    started = service.start_search("Wichita")
    service.cache.mark_failed(started.job.search_id, "The search could not be run.")

    view = service.read(started, OfferFilter(supplier="hertz", size="suv"))

    assert view.status == "failed"
    assert [(state.state, state.error) for state in view.suppliers] == [("failed", "The search could not be run.")]
    assert view.alternatives is None  # no company answered: nothing else to offer


def test_answers_stored_before_the_search_was_marked_failed_still_count(service: InMemoryService) -> None:
    started = service.start_search("Wichita")
    _answer(service, started, complete=("enterprise",))
    service.cache.mark_failed(started.job.search_id, "The search could not be run.")

    view = service.read(started)

    assert view.status == "complete"
    assert {offer.supplier for offer in view.offers} == {"enterprise"}
    assert view.message.endswith("National, Alamo, Hertz, Avis and Budget could not be reached.")


# --- the company asked for -----------------------------------------------------------------------------------


def test_company_asked_for_is_enough_for_complete(service: InMemoryService) -> None:
    started = service.start_search("Wichita")
    _answer(service, started, complete=("hertz",))

    view = service.read(started, OfferFilter(supplier="hertz"))

    assert view.status == "complete"
    assert _states(view) == {"hertz": "complete"}
    assert view.offers and {offer.supplier for offer in view.offers} == {"hertz"}
    assert service.read(started).status == "partial"


def test_company_asked_for_still_searching_is_pending_whoever_else_answered(service: InMemoryService) -> None:
    started = service.start_search("Wichita")
    _answer(service, started, complete=("enterprise", "avis"))
    view = service.read(started, OfferFilter(supplier="hertz"))
    assert (view.status, view.offers, view.message) == ("pending", [], "Still searching Hertz.")


def test_company_asked_for_that_failed_gets_the_others_cars_as_alternatives(service: InMemoryService) -> None:
    started = service.start_search("Wichita")
    _answer(service, started, complete=("enterprise", "avis"), failed=("hertz",))

    view = service.read(started, OfferFilter(supplier="hertz", size="suv"))

    assert view.status == "failed" and view.offers == []
    assert view.alternatives is not None
    same_size, cheapest = view.alternatives.same_size, view.alternatives.cheapest
    assert same_size is not None and same_size.car_class == "suv" and same_size.supplier in {"enterprise", "avis"}
    assert cheapest is not None and cheapest.supplier in {"enterprise", "avis"}
    assert view.alternatives.same_supplier is None


def test_company_without_a_counter_in_the_city_waits_for_the_others_then_offers_their_cars(
    service: InMemoryService,
) -> None:
    # GIVEN a search in a city where Sixt has no counter, before any company has answered
    started = service.start_search("Wichita")
    waiting = service.read(started, OfferFilter(supplier="sixt", size="suv"))
    # THEN it is pending on the companies that are there, as what is offered instead comes from them
    assert waiting.status == "pending" and waiting.offers == [] and waiting.alternatives is None
    assert {state.supplier for state in waiting.suppliers} == set(started.job.suppliers) and "sixt" not in {
        state.supplier for state in waiting.suppliers
    }
    # WHEN they have answered, THEN it is complete, says why there is nothing, and offers their SUV
    _answer(service, started, complete=tuple(started.job.suppliers))
    view = service.read(started, OfferFilter(supplier="sixt", size="suv"))
    assert view.status == "complete" and view.offers == []
    assert view.message == "Sixt has no rental counter in Wichita, KS."
    assert view.alternatives is not None and view.alternatives.same_size is not None
    assert view.alternatives.same_size.car_class == "suv" and view.alternatives.same_size.supplier != "sixt"


# --- refused --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("max_age_s", [1800, 60])
def test_results_expire_just_past_the_maximum_age(clock: FixedClock, max_age_s: int) -> None:
    service = in_memory_service(clock, policy=Policy(result_max_age_s=max_age_s))
    started = service.start_search()
    service.launcher.deliver()
    clock.advance(seconds=max_age_s)
    assert service.read(started).status == "complete"

    clock.advance(seconds=1)
    with pytest.raises(SearchExpired) as gone:
        service.read(started)
    assert gone.value.max_age_s == max_age_s


def test_unknown_token_and_another_users_token_are_both_not_found(service: InMemoryService) -> None:
    started = service.start_search()
    with pytest.raises(SearchNotFound):
        service.read(started, user="amzn1.ask.account.OTHER")
    with pytest.raises(SearchNotFound):
        service.results(new_token(), "amzn1.ask.account.TESTUSER", OfferFilter())
