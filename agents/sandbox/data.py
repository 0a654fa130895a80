"""The sandbox's agents: the 7 published ones, verbatim, then deterministic generated ones.

Stdlib only (no Faker): one `random.Random(seed)` drives everything, so the same seed and count
always give the same agents, byte for byte. Generated agents look like the published ones (same
keys, same key order, same types), including the API's quirks: `status` sometimes sent as the
string "1", `allowDid` either "" or a list, groups that share a name, "Unknown group (N)"
labels, overnight, all-day, unset (0–0) and multiple working windows, and plain-text secrets
(`password`, `call_pass`) that the dashboard must drop.
"""

from __future__ import annotations

import gc
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PUBLISHED_PATH = Path(__file__).with_name("published_agents.json")

# 7 published + 293 generated: enough for several pages at the test page size (100), small
# enough to start instantly.
DEFAULT_AGENT_COUNT = 300
# The largest account the dashboard is designed for; generation stays under ~1-2 s.
MAX_AGENT_COUNT = 100_000
DEFAULT_SEED = 20240704
# Generated ids start here, clear of the published ids (2–9), as a real account's would.
FIRST_GENERATED_ID = 100
WEEKDAYS: tuple[str, ...] = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
# One generated agent in this many is listed as deleted (`isDeleted: 1`): a few in a demo, so
# the dashboard can show it leaves them out. Chosen by position, not drawn, so adding them did
# not change any other generated value. (About 2% are `preDeleted`, drawn.)
DELETED_EVERY = 100
DELETED_OFFSET = 37

# The account's groups (id -> name). The published agents use 4, 13, 15–19, 27 and 28; names
# repeat on purpose (Test_Group ×4, Perm ×2, Sales ×2, Support ×2) and the API labels some
# groups "Unknown group (N)". Always key by id.
GROUPS: dict[int, str] = {
    4: "Unknown group (4)",
    13: "Test_Group",
    15: "Test_Group",
    16: "Test_Group",
    17: "Perm",
    18: "Manoj Rao",
    19: "Test_Group",
    27: "Perm",
    28: "Mahipal singh",
    30: "Sales",
    31: "Sales",
    32: "Support",
    33: "Support",
    34: "Billing",
    35: "Collections",
    36: "Hindi Support",
    37: "Tamil Support",
    38: "Night Shift",
    39: "Escalations",
    40: "Retention",
    41: "Onboarding",
    42: "Unknown group (42)",
    43: "Outbound",
    44: "VIP Desk",
    45: "Kannada Support",
}
_GENERATED_GROUP_IDS = (17, 27, 4, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45)

# role id -> roleName; role "1" is "test" as in the published answer.
ROLES: dict[str, str] = {"1": "test", "2": "Supervisor", "3": "Team Lead", "4": "Quality"}

# (display name, ascii slug for the email); a mix of Indian and international names, with the
# characters real directories hold (apostrophes, accents, lower-case entries).
_FIRST_NAMES = (
    ("Aarav", "aarav"),
    ("Vivaan", "vivaan"),
    ("Aditya", "aditya"),
    ("Vihaan", "vihaan"),
    ("Arjun", "arjun"),
    ("Sai", "sai"),
    ("Reyansh", "reyansh"),
    ("Krishna", "krishna"),
    ("Ishaan", "ishaan"),
    ("Rohan", "rohan"),
    ("Priya", "priya"),
    ("Ananya", "ananya"),
    ("Diya", "diya"),
    ("Aadhya", "aadhya"),
    ("Saanvi", "saanvi"),
    ("Kavya", "kavya"),
    ("Meera", "meera"),
    ("Pooja", "pooja"),
    ("Neha", "neha"),
    ("Sneha", "sneha"),
    ("Rahul", "rahul"),
    ("Amit", "amit"),
    ("Suresh", "suresh"),
    ("Ramesh", "ramesh"),
    ("Lakshmi", "lakshmi"),
    ("Divya", "divya"),
    ("Harpreet", "harpreet"),
    ("Gurpreet", "gurpreet"),
    ("Mohammed", "mohammed"),
    ("Fatima", "fatima"),
    ("Imran", "imran"),
    ("Ayesha", "ayesha"),
    ("Venkatesh", "venkatesh"),
    ("Karthik", "karthik"),
    ("Deepa", "deepa"),
    ("Anjali", "anjali"),
    ("bhawesh", "bhawesh"),
    ("sumit", "sumit"),
    ("manoj", "manoj"),
    ("vijay", "vijay"),
    ("John", "john"),
    ("Emma", "emma"),
    ("Liam", "liam"),
    ("Olivia", "olivia"),
    ("José", "jose"),
    ("Zoë", "zoe"),
    ("Łukasz", "lukasz"),
    ("Søren", "soren"),
    ("Chloé", "chloe"),
    ("Mei", "mei"),
    ("Hiroshi", "hiroshi"),
    ("Ahmed", "ahmed"),
    ("Siobhán", "siobhan"),
    ("Noah", "noah"),
    ("Amara", "amara"),
    ("Yusuf", "yusuf"),
)
_LAST_NAMES = (
    ("Sharma", "sharma"),
    ("Verma", "verma"),
    ("Gupta", "gupta"),
    ("Singh", "singh"),
    ("Kumar", "kumar"),
    ("Patel", "patel"),
    ("Shah", "shah"),
    ("Mehta", "mehta"),
    ("Iyer", "iyer"),
    ("Nair", "nair"),
    ("Reddy", "reddy"),
    ("Rao", "rao"),
    ("Pillai", "pillai"),
    ("Menon", "menon"),
    ("Chatterjee", "chatterjee"),
    ("Banerjee", "banerjee"),
    ("Das", "das"),
    ("Bose", "bose"),
    ("Khan", "khan"),
    ("Qureshi", "qureshi"),
    ("Joshi", "joshi"),
    ("Kulkarni", "kulkarni"),
    ("Deshpande", "deshpande"),
    ("Jain", "jain"),
    ("Agarwal", "agarwal"),
    ("Choudhary", "choudhary"),
    ("Rathore", "rathore"),
    ("Gill", "gill"),
    ("D'Souza", "dsouza"),
    ("Fernandes", "fernandes"),
    ("Naidu", "naidu"),
    ("Krishnan", "krishnan"),
    ("Smith", "smith"),
    ("O'Connor", "oconnor"),
    ("García", "garcia"),
    ("Müller", "muller"),
    ("Kowalski", "kowalski"),
    ("Nguyen", "nguyen"),
    ("Tanaka", "tanaka"),
    ("Okafor", "okafor"),
    ("", ""),
    ("", ""),  # some agents are known by one name only, as in the published data
)
_DOMAINS = ("gmail.com", "sarv.com", "yahoo.co.in", "outlook.com", "snet.in", "example.in")
_CITIES = (
    "jaipur",
    "Jhotwara",
    "Mumbai",
    "Pune",
    "Bengaluru",
    "Chennai",
    "Hyderabad",
    "Kolkata",
    "New Delhi",
    "Noida",
    "Gurugram",
    "Ahmedabad",
    "Kochi",
    "Lucknow",
    "Indore",
    "Chandigarh",
    "Andheri East, Mumbai",
    "Sector 62, Noida",
    "Malviya Nagar, Jaipur",
    "Koramangala, Bengaluru",
)
# STD codes for landline destinations (Jaipur, Mumbai, Delhi, Bengaluru, Chennai, Kolkata).
_STD_CODES = ("0141", "022", "011", "080", "044", "033")
# Foreign country codes for some international agents' phones; most phones are Indian (91).
_FOREIGN_CODES = ("1", "44", "971", "65")
_ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

_ALL_DAYS = list(WEEKDAYS)
_WEEKDAYS_ONLY = ["MON", "TUE", "WED", "THU", "FRI"]
# Working-hour patterns: lists of (days, from, to). `to` < `from` crosses midnight; 0–1439 is
# the whole day; 0–0 means "no hours set". Weighted towards ordinary office shifts.
_WORKING_PATTERNS: tuple[tuple[tuple[list[str], int, int], ...], ...] = (
    ((_WEEKDAYS_ONLY, 540, 1080),),  # 09:00–18:00
    ((_WEEKDAYS_ONLY, 540, 1080),),
    ((_WEEKDAYS_ONLY, 600, 1140),),  # 10:00–19:00
    ((["MON", "TUE", "WED", "THU", "FRI", "SAT"], 540, 1260),),  # 09:00–21:00
    ((_WEEKDAYS_ONLY, 540, 780), (_WEEKDAYS_ONLY, 840, 1080)),  # split shift with lunch
    ((_WEEKDAYS_ONLY, 540, 1080), (["SAT"], 600, 840)),  # plus Saturday morning
    ((["MON", "TUE", "WED", "THU"], 1320, 360),),  # overnight 22:00–06:00
    ((["FRI", "SAT", "SUN"], 1200, 240),),  # overnight weekend 20:00–04:00
    ((_ALL_DAYS, 0, 1439),),  # all day, every day
    ((["SAT", "SUN"], 480, 1200),),  # weekend only
    ((["TUE", "WED"], 60, 360),),  # as published: 01:00–06:00
    ((["FRI"], 0, 0),),  # unset, as published
    ((["MON"], 0, 0),),
    (),  # no windows at all
    ((["MON", "WED", "FRI"], 420, 900), (["TUE", "THU"], 900, 1380), (["SUN"], 0, 1439)),
)


@dataclass(frozen=True)
class Dataset:
    """The agents of one sandbox, in id order, with the lookups the API needs."""

    agents: list[dict[str, Any]]
    groups: dict[int, str]
    by_id: dict[str, dict[str, Any]] = field(repr=False)
    positions: dict[str, int] = field(repr=False)  # agent id -> index in `agents`
    names_lower: list[str] = field(repr=False)
    # `agtLimit` in the answer; undocumented (likely the licence's seat count). 12 for the
    # published 7, as in the example, so that data set answers exactly the published answer.
    agt_limit: int = 12

    @classmethod
    def build(cls, agents: list[dict[str, Any]], groups: dict[int, str]) -> Dataset:
        return cls(
            agents=agents,
            groups=groups,
            by_id={str(a["unique_id"]): a for a in agents},
            positions={str(a["unique_id"]): i for i, a in enumerate(agents)},
            names_lower=[str(a["name"]).lower() for a in agents],
            agt_limit=max(12, len(agents) + 5),
        )


def published_agents() -> list[dict[str, Any]]:
    """The 7 agents of the published `Agent/list` answer, exactly as published (secrets too)."""
    with PUBLISHED_PATH.open(encoding="utf-8") as f:
        return json.load(f)["response"]


def _password(rng: random.Random, length: int) -> str:
    alphabet = _ALPHANUMERIC
    bits = rng.getrandbits(6 * length)
    return "".join(alphabet[(bits >> (6 * i)) % 62] for i in range(length))


def generate_agents(count: int, *, seed: int = DEFAULT_SEED, first_id: int = FIRST_GENERATED_ID):
    """`count` generated agents with ids from `first_id`, the same for the same seed."""
    rng = random.Random(seed)
    rand = rng.random
    randrange = rng.randrange
    firsts, lasts, cities = _FIRST_NAMES, _LAST_NAMES, _CITIES
    n_first, n_last, n_city = len(firsts), len(lasts), len(cities)
    group_ids, n_groups = _GENERATED_GROUP_IDS, len(_GENERATED_GROUP_IDS)
    patterns, n_patterns = _WORKING_PATTERNS, len(_WORKING_PATTERNS)
    # Creation dates rise with the id from late 2024, 450 s apart on average (100 000 agents
    # span about 18 months); independent of `count`, so a larger set extends a smaller one.
    start_date, date_step = 1_730_000_000, 450
    agents = []
    for i in range(count):
        agent_id = first_id + i
        first, first_slug = firsts[int(rand() * n_first)]
        last, last_slug = lasts[int(rand() * n_last)]
        name = f"{first} {last}" if last else first
        email_local = f"{first_slug}.{last_slug}" if last_slug else first_slug
        email = f"{email_local}{agent_id}@{_DOMAINS[int(rand() * len(_DOMAINS))]}"
        number = f"{randrange(6, 10)}{randrange(10**9):09d}"
        r = rand()
        phone = f"{_FOREIGN_CODES[int(r * 40) % 4]}{number}" if r < 0.05 else f"91{number}"
        r = rand()
        if r < 0.7:
            dest_type, dest_value = "MOBILE", number
        elif r < 0.9:
            dest_type, dest_value = "SIP", f"sip{agent_id}"
        else:
            std = _STD_CODES[int(r * 1000) % len(_STD_CODES)]
            dest_type, dest_value = "LANDLINE", f"{std}{randrange(10**7):07d}"
        r = rand()
        status: int | str = 1 if r < 0.84 else ("1" if r < 0.92 else (0 if r < 0.98 else "0"))
        r = rand()
        role = "1" if r < 0.8 else ("2" if r < 0.9 else ("3" if r < 0.96 else "4"))
        n_agent_groups = int(rand() * 4.5)  # 0..4
        groups: list[int] = []
        for _ in range(n_agent_groups):
            gid = group_ids[int(rand() * n_groups)]
            if gid not in groups:
                groups.append(gid)
        windows = [
            {"wDays": list(days), "from": start, "to": end, "agentId": agent_id}
            for days, start, end in patterns[int(rand() * n_patterns)]
        ]
        r = rand()
        if r < 0.85:
            allow_did: str | list[str] = ""
        else:
            allow_did = [f"9186453{randrange(10**5):05d}" for _ in range(1 + int(r * 100) % 3)]
        r = rand()
        parent = ",START," if r < 0.85 else (",START,4," if r < 0.95 else f",START,{first_id},")
        agents.append(
            {
                "name": name,
                "favorite": "" if rand() < 0.95 else "1",
                "email": email,
                "phone": phone,
                "address": "" if rand() < 0.15 else cities[int(rand() * n_city)],
                "dest_type": dest_type,
                "dest_value": dest_value,
                "call_pass": str(randrange(10**6, 10**8)),
                "role": role,
                "password": _password(rng, 16),
                "parent": parent,
                "create_date": start_date + i * date_step + randrange(date_step),
                "create_by": "29791451",
                "create_by_type": "",
                "user_id": "29791451",
                "unique_id": agent_id,
                "allowDid": allow_did,
                "status": status,
                "isDeleted": 1 if i % DELETED_EVERY == DELETED_OFFSET else 0,
                "preDeleted": 1 if rand() < 0.02 else 0,
                "group": groups,
                "working": windows,
                "groupNames": [{str(g): GROUPS[g]} for g in groups],
                "roleName": ROLES[role],
            }
        )
    if agents:
        # One agent carries markup in its address, so the dashboard's tests can prove that no
        # script from the data ever runs (it must be shown as text, escaped).
        agents[0]["address"] = 'Flat 4, "Shanti" Apts <script>alert(1)</script>, Jaipur'
    return agents


def build_dataset(count: int = DEFAULT_AGENT_COUNT, *, seed: int = DEFAULT_SEED) -> Dataset:
    """The published agents, then generated ones, `count` in all (at most MAX_AGENT_COUNT)."""
    if not 0 <= count <= MAX_AGENT_COUNT:
        raise ValueError(f"agent count must be between 0 and {MAX_AGENT_COUNT}, not {count}")
    # Millions of new containers would trigger the cyclic GC over and over, scanning whatever
    # else the process holds (a test session's objects): pause it, it finds no cycles here.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        published = published_agents()[:count]
        agents = published + generate_agents(count - len(published), seed=seed)
        return Dataset.build(agents, dict(GROUPS))
    finally:
        if gc_was_enabled:
            gc.enable()
