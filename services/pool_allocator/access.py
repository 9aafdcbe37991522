"""Who may have a key: the subscription and device rules, pure and clock-explicit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Subscription:
    status: str
    trial: bool
    trial_end: datetime | None


@dataclass(frozen=True)
class Refusal:
    """`allowed=false` with a message that names the reason."""

    reason: str
    message: str


def check_subscription(subscription: Subscription | None, now: datetime) -> Refusal | None:
    if subscription is None:
        return Refusal("no_subscription", "this account has no subscription")
    if subscription.status == "suspended":
        return Refusal("suspended", "this account's subscription is suspended")
    if subscription.status == "cancelled":
        return Refusal("cancelled", "this account's subscription is cancelled")
    if subscription.trial and subscription.trial_end is not None and subscription.trial_end <= now:
        return Refusal("trial_ended", f"this account's trial ended on {subscription.trial_end:%Y-%m-%d}")
    return None


def check_device(recent_devices: set[str], device_id: str, limit: int, window_days: int) -> Refusal | None:
    """A known device is always let in; a new one only while fewer than `limit` were used in the window."""
    if device_id in recent_devices or len(recent_devices) < limit:
        return None
    return Refusal(
        "device_limit",
        f"device limit reached: {len(recent_devices)} devices used this account in the last "
        f"{window_days} days (the limit is {limit})",
    )
