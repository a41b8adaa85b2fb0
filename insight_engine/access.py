"""Who may see what: roles, the roles map, and the accounts each person's views are limited to.

Rudder runs in one of two modes:

- **Signed in** (an ``[auth]`` section in secrets): every person signs in with the team's
  identity provider, and the roles map (``[roles."email"]`` in secrets) says their role, their
  CSM name and their team. An email missing from the map sees no data.
- **Local** (no ``[auth]``): one trusted user on one machine, who may switch role to see what
  each role sees.

What a role may open:

========== ============================================================================
Role       Sees
========== ============================================================================
csm        Their own book (This week, Account) and their team's insight library.
manager    Their team: Team cadence, each of their CSMs' weeks and accounts, the library.
executive  Customer wins: aggregates, and customers named next to their wins (no CSM names,
           no account page, no single account's health, risks or drafts).
admin      Everything, including Data & settings.
========== ============================================================================

A team is a manager's name, as in the ``manager`` column of ``accounts``: a manager sees the
accounts whose ``manager`` is their team, plus those of the CSMs the roles map puts in it.

Caches in the app hold the whole book, keyed by the data only; what a person may see is applied
on every run with :meth:`Viewer.visible_accounts`, never inside a cached function.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from insight_engine.errors import RudderError

__all__ = [
    "AREAS",
    "ROLES",
    "AccessDeniedError",
    "RolesMap",
    "RolesMapError",
    "UnknownUserError",
    "Viewer",
    "local_viewer",
]

Role = Literal["csm", "manager", "executive", "admin"]
ROLES: tuple[Role, ...] = ("csm", "manager", "executive", "admin")
ROLE_LABELS = {
    "csm": "CSM",
    "manager": "Manager",
    "executive": "Executive",
    "admin": "Admin",
}

#: The parts of Rudder, and the roles that may open each.
AREAS: dict[str, tuple[Role, ...]] = {
    "this_week": ("csm", "manager", "admin"),
    "account": ("csm", "manager", "admin"),
    "team_cadence": ("manager", "admin"),
    "customer_wins": ("executive", "admin"),
    "library": ("csm", "manager", "admin"),
    "data_settings": ("admin",),
}


class RolesMapError(RudderError):
    """The roles map in secrets cannot be used (says which entry and what to fix)."""


class UnknownUserError(RudderError):
    """A signed-in email that the roles map does not list."""


class AccessDeniedError(RudderError):
    """Someone asked for an account or a page their role does not include."""


@dataclass(frozen=True)
class Viewer:
    """The person using Rudder, and what they may see.

    Parameters
    ----------
    email : str
        Who signed in (``local`` in local mode).
    role : {"csm", "manager", "executive", "admin"}
    csm : str, optional
        Their name as it appears in the ``csm`` column (required for the csm role).
    team : str, optional
        Their team: the manager's name in the ``manager`` column (required for managers).
    team_csms : tuple of str
        CSMs the roles map places in ``team`` (a team without a ``manager`` column).
    local : bool
        True in local mode (one trusted user, role switcher).
    """

    email: str
    role: Role
    csm: str | None = None
    team: str | None = None
    team_csms: tuple[str, ...] = field(default=())
    local: bool = False

    @property
    def label(self) -> str:
        """How the sidebar names this person."""
        who = self.csm or self.team or self.email
        return f"{who} · {ROLE_LABELS[self.role]}"

    @property
    def scope_key(self) -> str:
        """What this person may see, as a short key (for anything cached per view)."""
        if self.role in ("admin", "executive"):
            return "all"
        if self.role == "manager":
            return f"team:{self.team}|{','.join(self.team_csms)}"
        return f"csm:{self.csm}"

    def may_open(self, area: str) -> bool:
        """Whether this person's role includes a part of Rudder (see :data:`AREAS`)."""
        return self.role in AREAS.get(area, ())

    def require(self, area: str) -> None:
        """Raise :class:`AccessDeniedError` unless :meth:`may_open` says yes."""
        if not self.may_open(area):
            raise AccessDeniedError(
                f"Your role ({ROLE_LABELS[self.role]}) does not include this page. "
                "Ask your Rudder admin if you need it."
            )

    def visible_accounts(self, accounts: pd.DataFrame) -> pd.Series:
        """A boolean mask over ``accounts``: the accounts this person may see one by one.

        Parameters
        ----------
        accounts : pandas.DataFrame
            The book's accounts (``account_id``, ``csm`` and optionally ``manager``).

        Returns
        -------
        pandas.Series of bool
            Aligned with ``accounts``. Executives see no single account (aggregates only).
        """
        if self.role == "admin":
            return pd.Series(True, index=accounts.index)
        if self.role == "executive":
            return pd.Series(False, index=accounts.index)
        csm = accounts["csm"].astype("string").str.strip()
        if self.role == "csm":
            return (csm == (self.csm or "")).fillna(False).astype(bool)
        in_team = csm.isin(list(self.team_csms)).fillna(False).astype(bool)
        if "manager" in accounts.columns and self.team:
            manager = accounts["manager"].astype("string").str.strip()
            in_team |= (manager == self.team).fillna(False).astype(bool)
        return in_team

    def visible_csms(self, accounts: pd.DataFrame) -> list[str]:
        """CSMs whose book this person may open (sorted)."""
        shown = accounts.loc[self.visible_accounts(accounts), "csm"].dropna().astype(str)
        return sorted(set(shown))

    def library_accounts(self, accounts: pd.DataFrame) -> pd.Series:
        """A boolean mask over ``accounts``: whose logged insights make up this person's library.

        Their team's accounts (a CSM without a team: their own; admins and executives: all).
        """
        if self.role in ("admin", "executive"):
            return pd.Series(True, index=accounts.index)
        if self.role == "csm" and not self.team:
            return self.visible_accounts(accounts)
        team = Viewer(self.email, "manager", team=self.team, team_csms=self.team_csms)
        return team.visible_accounts(accounts) | self.visible_accounts(accounts)

    def may_see_account(self, accounts: pd.DataFrame, account_id: str) -> bool:
        """Whether one account is in this person's view (the check behind an account URL)."""
        mask = self.visible_accounts(accounts) & (accounts["account_id"] == account_id)
        return bool(mask.any())


def local_viewer(
    role: Role = "admin", *, csm: str | None = None, team: str | None = None
) -> Viewer:
    """The one trusted user of local mode, in the role they switched to."""
    if role not in ROLES:
        raise RolesMapError(f"Unknown role {role!r}; use one of {', '.join(ROLES)}.")
    return Viewer("local", role, csm=csm, team=team, local=True)


@dataclass(frozen=True)
class RolesMap:
    """Each email's role, CSM name and team, from the ``[roles]`` section of secrets.

    Example ``.streamlit/secrets.toml``::

        [roles."priya@example.com"]
        role = "csm"
        csm = "Priya Shah"
        team = "Dana Lee"

        [roles."dana@example.com"]
        role = "manager"
        team = "Dana Lee"
    """

    entries: Mapping[str, Viewer]

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Mapping[str, object]] | None) -> RolesMap:
        """Read and check a roles map; raise :class:`RolesMapError` naming the bad entry.

        Parameters
        ----------
        mapping : mapping of email -> {role, csm, team}
            As read from secrets (emails are matched without regard to case).

        Returns
        -------
        RolesMap
        """
        problems: list[str] = []
        raw: dict[str, dict[str, str | None]] = {}
        for email, entry in (mapping or {}).items():
            key = str(email).strip().lower()
            if not isinstance(entry, Mapping):
                problems.append(f'roles."{email}" must be a table with role, csm and team')
                continue
            role = str(entry.get("role", "")).strip().lower()
            csm = _text(entry.get("csm"))
            team = _text(entry.get("team"))
            if role not in ROLES:
                problems.append(
                    f'roles."{email}": role {entry.get("role")!r} is not one of {", ".join(ROLES)}'
                )
            elif role == "csm" and not csm:
                problems.append(f'roles."{email}": a csm needs csm = "their name as in the data"')
            elif role == "manager" and not team:
                problems.append(f'roles."{email}": a manager needs team = "the team\'s name"')
            raw[key] = {"role": role, "csm": csm, "team": team}
        if problems:
            raise RolesMapError(
                "The roles map in secrets cannot be used: "
                + "; ".join(problems)
                + ". Fix .streamlit/secrets.toml (see README, Deploying for a team)."
            )
        members: dict[str, list[str]] = {}
        for r in raw.values():
            if r["role"] == "csm" and r["team"]:
                members.setdefault(str(r["team"]), []).append(str(r["csm"]))
        entries = {
            email: Viewer(
                email,
                r["role"],  # type: ignore[arg-type]
                csm=r["csm"],
                team=r["team"],
                team_csms=tuple(sorted(members.get(str(r["team"]), []))) if r["team"] else (),
            )
            for email, r in raw.items()
        }
        return cls(entries)

    def viewer_for(self, email: str | None) -> Viewer:
        """The signed-in person's view; :class:`UnknownUserError` for an email not listed."""
        key = (email or "").strip().lower()
        if not key or key not in self.entries:
            raise UnknownUserError(
                f"{email or 'This account'} is not on Rudder's list of users yet. "
                "Ask your Rudder admin to add you to the roles map."
            )
        return self.entries[key]


LOOPBACK = ("127.", "::1", "localhost")


def exposed_without_sign_in(address: str | None, *, auth_configured: bool) -> bool:
    """Whether local mode (everyone an admin) would answer other machines.

    True when sign-in is not configured and the server listens beyond this machine: an empty
    address or ``0.0.0.0``/``::`` mean every interface.
    """
    if auth_configured:
        return False
    where = (address or "").strip().lower().strip("[]")
    return not where.startswith(LOOPBACK)


def email_verified(claims: Mapping[str, object]) -> bool:
    """Whether the identity provider vouches for the email it sent.

    Only a true value counts: ``True``, or the strings "true"/"1" some providers send. A
    ``False``, "false", "0", "" or anything else is unverified. A provider that sends no
    ``email_verified`` claim at all (Microsoft Entra, for one) verifies addresses itself, so
    its absence is accepted.
    """
    if "email_verified" not in claims:
        return True
    value = claims["email_verified"]
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"true", "1"}


def _text(value: object) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None
