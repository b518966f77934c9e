"""The rules editor's words: its settings, their hints, technical terms, strategies, choices.

The coordinator changes the rotation rules through a form of common settings
(``endpoints/admin/rules.py``, whose ``KNOBS`` name them by rule path); these
tables say each setting and choice in the coordinator's words.  Templates read
them as ``{{ _(rule_labels.KNOB[name]) }}``, as ``labels`` for the other pages.
"""

from __future__ import annotations

from widget_server.core.i18n import N_

# The rules editor's common settings, by rule path: in the coordinator's words.
KNOB: dict[str, str] = {
    "strategy": N_("How are the partners chosen?"),
    "partners.max": N_("Partners per block (at most)"),
    "partners.min": N_("Partners per block (at least)"),
    "fairness.alpha": N_("How strictly should giving and taking be balanced?"),
    "fairness.beta": N_("How quickly are imbalances evened out?"),
    "fairness.half_life_days": N_("How many days does the network remember?"),
    "exclusions.same_category": N_("No partners of the host's own category"),
    "exclusions.one_per_category": N_("At most one partner per category"),
    "region.mode": N_("Partners from the same town?"),
    "caps.max_share": N_("How often may one partner appear at most?"),
    "fallback": N_("When too few partners"),
    "links.label": N_("Label on the block"),
    "rotation.granularity": N_("How often does the block change?"),
    "portal.approve_profile_changes": N_("Show members' changed details only after approval"),
    "portal.approve_offers": N_("Show joint offers only after approval"),
}

# Their hints (not every setting has one).
KNOB_HINT: dict[str, str] = {
    "partners.max": N_("1 to 12."),
    "partners.min": N_("Fewer found: the fallback below applies."),
    "fairness.alpha": N_(
        "1: strictly one for one – who shows others is shown as often in return. 0: everyone "
        "is shown equally often, whatever they give. Default 0.8: mostly give and take, some "
        "solidarity."
    ),
    "fairness.beta": N_(
        "How hard the rotation pushes towards balance: 0 not at all, 20 very hard; default 4."
    ),
    "fairness.half_life_days": N_(
        "After this many days a view counts half as much in the balance. Default 14."
    ),
    "region.mode": N_("Prefers partners from the same town."),
    "caps.max_share": N_(
        "The largest share of blocks one partner may appear in: 1 means no limit, 0.5 at most "
        "every second block."
    ),
    "links.label": N_("e.g. “Ad”; at most 30 characters."),
    "rotation.granularity": N_(
        "Every few minutes: visitors of one page see the same partners for a while, and "
        "servers can cache the block."
    ),
    "portal.approve_profile_changes": N_(
        "Changes from the member area (name, description, logo, website) then wait for "
        "your approval."
    ),
    "portal.approve_offers": N_(
        "Joint offers of members then go live only when you have approved them too."
    ),
}

# The technical name of an advanced setting, shown with it ("Für Fortgeschrittene").
KNOB_TERM: dict[str, str] = {
    "fairness.alpha": N_("Reciprocity α"),
    "fairness.beta": N_("Balancing strength β"),
    "fairness.half_life_days": N_("Half-life of the ledger"),
    "caps.max_share": N_("Cap on the inclusion probability"),
    "rotation.granularity": N_("Rotation bucket"),
}

# What a strategy does, shown with the strategy choice (it follows the choice).
STRATEGY_HELP: dict[str, str] = {
    "fixed": N_(
        "Always the same partners in the same order: the first of your list below. Good for a "
        "small, settled group."
    ),
    "round-robin": N_(
        "Everyone takes turns: over a day every partner appears equally often, in every place."
    ),
    "weighted": N_(
        "Partners appear as often as their weight says: weight 2 twice as often as weight 1."
    ),
    "fair-exchange": N_(
        "Give and take: who shows the others on its website is shown more often in return; "
        "newcomers get a head start."
    ),
}

# The choices of a setting, by "path.choice".
CHOICE: dict[str, str] = {
    "strategy.fixed": N_("Fixed order"),
    "strategy.round-robin": N_("Round robin"),
    "strategy.weighted": N_("Weighted"),
    "strategy.fair-exchange": N_("Fair exchange"),
    "region.mode.off": N_("Off"),
    "region.mode.boost": N_("Boost"),
    "region.mode.tiered": N_("Same town first"),
    "region.mode.only": N_("Same town only"),
    "fallback.directory": N_("Link to the directory"),
    "fallback.hide": N_("Hide the block"),
    "rotation.granularity.bucket": N_("Every few minutes"),
    "rotation.granularity.request": N_("On every request"),
}

# The rules preview when no partner is left.
FALLBACK: dict[str, str] = {
    "directory": N_("(no partner: link to the directory)"),
    "hide": N_("(no partner: block hidden)"),
}
