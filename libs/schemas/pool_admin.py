"""pool-allocator's admin HTTP bodies: keys, users, subscriptions, usage."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from .base import Body, View

SubType = Literal["free", "pro", "premium"]
SubStatus = Literal["active", "cancelled", "suspended"]
PoolStatus = Literal["healthy", "degraded", "failing", "disabled"]

ApiKey = Annotated[str, Meta(min_length=8, max_length=256, pattern=r"^[A-Za-z0-9._:-]+$")]
Priority = Annotated[int, Meta(ge=-1000, le=1000)]
UserSlots = Annotated[int, Meta(ge=1, le=10_000)]
StreamLimit = Annotated[int, Meta(ge=1, le=1_000)]
Email = Annotated[str, Meta(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Password = Annotated[str, Meta(min_length=8, max_length=256)]
TrialDays = Annotated[int, Meta(ge=1, le=3650)]
Label = Annotated[str, Meta(max_length=100)]


class KeyCreate(Body):
    api_key: ApiKey
    label: Label | None = None
    priority: Priority = 0
    max_user_slots: UserSlots = 100
    max_concurrent_streams: StreamLimit = 35


class KeyUpdate(Body):
    """Only the fields present change. `status` may only be set to `disabled` or back to `healthy`."""

    api_key: ApiKey | UnsetType = UNSET
    label: Label | UnsetType | None = UNSET
    priority: Priority | UnsetType = UNSET
    max_user_slots: UserSlots | UnsetType = UNSET
    max_concurrent_streams: StreamLimit | UnsetType = UNSET
    is_active: bool | UnsetType = UNSET
    status: Literal["healthy", "disabled"] | UnsetType = UNSET


class KeyView(View):
    id: str
    api_key: str  # masked
    label: str | None
    priority: int
    is_active: bool
    status: PoolStatus
    status_reason: str | None
    max_user_slots: int
    current_user_slots: int
    max_concurrent_streams: int
    current_concurrent_streams: int
    slot_utilization_pct: float
    concurrency_utilization_pct: float
    slot_status: Literal["OK", "WARNING", "CRITICAL"]
    concurrency_status: Literal["OK", "WARNING", "CRITICAL"]
    consecutive_failures: int
    failure_rate_24h: float
    last_success_at: datetime | None
    last_failure_at: datetime | None
    created_at: datetime


class UserCreate(Body):
    email: Email
    password: Password
    sub_type: SubType = "free"
    sub_status: SubStatus = "active"
    trial_days: TrialDays | None = None


class UserUpdate(Body):
    """Subscription fields; `trialDays` starts a trial of that length from now, `trial: false` ends it."""

    sub_type: SubType | UnsetType = UNSET
    sub_status: SubStatus | UnsetType = UNSET
    trial_days: TrialDays | UnsetType = UNSET
    trial: bool | UnsetType = UNSET


class SubscriptionView(View):
    sub_type: SubType
    sub_status: SubStatus
    trial: bool
    trial_startdate: datetime | None
    trial_enddate: datetime | None


class SlotView(View):
    pool_key_id: str
    slot_number: int
    assigned_at: datetime | None
    last_activity_at: datetime | None
    total_streams: int
    pool_status: PoolStatus


class DeviceView(View):
    device_id: str
    last_used_at: datetime
    counts_toward_limit: bool


class UserView(View):
    uuid: str
    email: str
    created_at: datetime
    accessed_at: datetime | None
    subscription: SubscriptionView | None
    slot: SlotView | None
    devices: list[DeviceView]
    device_limit: int


class UsageRow(View):
    """Usage of one user or one key."""

    id: str
    events: int
    streams: int
    cached: int
    bytes: int
    first_at: datetime | None
    last_at: datetime | None


class UserListItem(View):
    uuid: str
    email: str
    created_at: datetime
    accessed_at: datetime | None
    sub_type: SubType | None
    sub_status: SubStatus | None
    pool_key_id: str | None  # the key its slot is on
    devices: int  # devices used within the device window


class UserPage(View):
    """`GET /pool/users?search=&page=&pageSize=`: newest first."""

    page: int
    page_size: int
    total: int
    users: list[UserListItem]


class UsageDay(View):
    day: datetime
    events: int
    streams: int
    cached: int
    bytes: int


class UsageHistory(View):
    """One user's or one key's usage per day."""

    id: str
    days: list[UsageDay]


class AccountLogin(Body):
    """A pool user signing in on the configure page (their email and the password the admin set)."""

    email: Email
    password: Annotated[str, Meta(min_length=1, max_length=256)]


class AccountDeviceForget(AccountLogin):
    device_id: Annotated[str, Meta(min_length=1, max_length=200)]


class AccountView(View):
    """What a signed-in user sees of their account: the uuid for their install link, and their devices."""

    uuid: str
    email: str
    devices: list[DeviceView]
    device_limit: int


class UsageSummary(View):
    by_user: list[UsageRow]
    by_key: list[UsageRow]


def has(value: object) -> bool:
    return value is not msgspec.UNSET
