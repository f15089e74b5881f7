"""Deterministic generator of a synthetic "generic e-commerce sales feed".

One CSV per month of one year (``sales_YYYY_MM.csv``, or ``.csv.gz`` with ``--gzip``) with the
header ``customer_id,item_id,item_name,unit_price,item_count,purchase_time``, plus the ground
truth ``customer_types.csv`` (``customer_id,customer_type``). The feed exercises RFM
segmentation, clustering and collaborative-filtering recommendations at realistic scale
(16.1M rows, 2.85M customers, 3.7M items in 20-35 s and ~1.4 GB peak RSS on 2 cores).

    python -m datagen.ecommerce --rows N --customers N --items N \
        --seed S --out DIR [--year 2021] [--gzip]

Exact counts
    Data rows over the 12 files == ``rows``; distinct non-empty customer ids == ``customers``
    (ids ``100000 ...``, written float-style as ``104233.0``); every catalogue item is sold at
    least once whenever there are at least as many clean lines as items (item ids
    ``5000000 ...``, so never more than ``items`` distinct ones).

Behavioural types (the ground truth): share of customers and rules
    ``one_off``  55%  exactly 1 order, in months 1-9 (months 6-9 weighted x3, see below).
    ``new``      12%  1 order (70%) or 2 (30%), all in the last 45 days of the year.
    ``lapsed``   13%  3-6 orders (uniform), all in months 1-5. (3 rather than 2 at the low end
                      keeps them apart from one-off buyers in log-frequency for K-Means.)
    ``regular``  14%  4-10 orders (uniform): the last in the final 60 days, the others any
                      time before it.
    ``loyal``     6%  15 + floor(12 * Lomax(alpha=2)) orders, capped at 800 (median ~20,
                      90th percentile ~41, a few in the hundreds): the last in the final 14
                      days, the others any time before it; twice the basket weight, bigger
                      item counts and a first preference tilted towards pricier categories.
    So ~63% of customers buy once and the top 1% hold ~16% of the orders. K-Means (k=5) on
    standardised log recency/frequency/monetary recovers the types with an adjusted Rand
    index of ~0.95. If ``rows`` cannot hold the drawn order counts (rows below ~3.8 x
    customers), every customer's orders beyond the first are scaled down proportionally and
    the types blur.

Orders and lines
    Each order (basket) gets one line; the remaining clean lines go to orders with
    probability proportional to Gamma(0.6) weights x a type factor (loyal 2, regular 1.3,
    others 1), a negative-binomial-like basket size (at full scale 1.46 lines per order,
    72% of orders single-line). All lines of an order share the customer and the exact
    purchase_time, a customer's orders never share a second, and an order never lists the
    same item twice (so the planted duplicates are the only exact duplicate lines).
    ``item_count`` is geometric: 1 with probability 0.8 (0.7 for loyal customers).

Catalogue and co-purchase structure
    Items fall into latent categories, one per ~3,000 items (at least 20, at most the 2,520
    department x product names); names look like ``Rustic Garden Lantern 5000123``
    (adjective, then the two-word category, then the id; never a comma). Category popularity
    is Zipf-like, (rank + 3) ** -0.9, and category sizes follow it with log-normal noise.
    Each customer has a preferred category and half of them a second one: an order's
    category is the first preference with probability 0.62, the second with 0.28, a
    popularity-drawn one otherwise, and each line keeps its order's category with
    probability 0.9 (~80% of a customer's lines fall in their preferences). Within a
    category, the category's lines in random order first sell every item once; the other
    lines draw a truncated power law (exponent 1.1) by inverse CDF. Categories short of
    lines borrow surplus lines from others. Prices are per item: log-normal around a
    per-category level (median ~7, sigma 0.4 between and 0.5 within categories) with 2% of
    items premium (x8 median) for the long tail, capped at 5000; 60% charm prices (x.99).

Seasonality
    Day weights: month factors (Jan 1.0, Feb 0.85 ... Oct 1.8, Nov 1.9, Dec 2.1) x weekday
    factors (weekend higher), Black Friday x2.5, Cyber Monday x2, Christmas Eve/Day lower.
    Days are drawn with these weights inside each type's window, so the Q4 factors look
    larger than the result (one-off, lapsed and new customers have no orders in October):
    relative to January, orders come out at Feb 0.77, Mar-Oct 0.82-0.95, Nov 1.29 and
    Dec 1.32, so Nov and Dec each have ~1.7x the orders of Feb. Hour-of-day weights peak
    at 20:00 and bottom out at 3-4 am.

Dirty rows (not part of the ground truth), rates relative to ``rows``
    0.2%  exact duplicates of an earlier line of the same month file, inserted at a random
          later position;
    0.3%  guest lines with an empty customer_id (extra lines, not any customer's order);
    0.1%  clean lines whose unit_price is zeroed (written ``0``).
    A duplicate may copy a guest or zero-price line, so those show up slightly more often.

Determinism
    ``numpy.random.default_rng`` seeded from independent ``SeedSequence`` children per stage
    and per month: the same arguments give byte-identical files (gzip with mtime 0 and no
    file name in the header); another seed gives other files.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import gzip as gzip_lib
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

HEADER = ("customer_id", "item_id", "item_name", "unit_price", "item_count", "purchase_time")
CUSTOMER_ID_OFFSET = 100_000
ITEM_ID_OFFSET = 5_000_000

TYPE_NAMES = ("one_off", "new", "lapsed", "regular", "loyal")
ONE_OFF, NEW, LAPSED, REGULAR, LOYAL = range(len(TYPE_NAMES))
TYPE_SHARES = (0.55, 0.12, 0.13, 0.14, 0.06)
NEW_WINDOW_DAYS = 45
REGULAR_LAST_WINDOW_DAYS = 60
LOYAL_LAST_WINDOW_DAYS = 14
NEW_SECOND_ORDER_SHARE = 0.3
LAPSED_ORDERS = (3, 6)  # inclusive range
REGULAR_ORDERS = (4, 10)
ONE_OFF_LATE_WEIGHT = 3.0  # extra weight of months 6-9 for one-off orders
MAX_ORDERS_PER_CUSTOMER = 800
BASKET_TYPE_FACTOR = np.array([1.0, 1.0, 1.0, 1.3, 2.0])
BASKET_GAMMA_SHAPE = 0.6
STAY_PROBABILITY = np.array([0.8, 0.8, 0.8, 0.8, 0.7])  # geometric item_count parameter

ITEMS_PER_CATEGORY = 3_000
MIN_CATEGORIES = 20
CATEGORY_RANK_OFFSET = 3.0
CATEGORY_ZIPF_EXPONENT = 0.9
ITEM_ZIPF_EXPONENT = 1.1
SECOND_PREFERENCE_SHARE = 0.5
FIRST_PREFERENCE_ORDER_SHARE = 0.62
SECOND_PREFERENCE_ORDER_SHARE = 0.28
LINE_KEEPS_ORDER_CATEGORY = 0.9
REDRAW_ROUNDS = 10  # attempts to keep an item from appearing twice in one order
LOYAL_PRICE_TILT = 1.0
MEDIAN_PRICE = 7.0
CATEGORY_PRICE_SIGMA = 0.4
ITEM_PRICE_SIGMA = 0.5
PREMIUM_SHARE = 0.02
PREMIUM_FACTOR = 8.0

DUPLICATE_RATE = 0.002
MISSING_CUSTOMER_RATE = 0.003
ZERO_PRICE_RATE = 0.001

MONTH_WEIGHT = (1.0, 0.85, 0.95, 0.95, 0.95, 1.05, 1.05, 1.1, 1.15, 1.8, 1.9, 2.1)
WEEKDAY_WEIGHT = (1.0, 1.0, 0.97, 0.97, 0.95, 1.05, 1.12)  # Monday first
HOUR_WEIGHT = (
    0.35, 0.22, 0.15, 0.10, 0.10, 0.15, 0.30, 0.55, 0.80, 0.95, 1.05, 1.10,
    1.20, 1.15, 1.05, 1.00, 1.00, 1.05, 1.20, 1.40, 1.50, 1.40, 1.05, 0.65,
)  # fmt: skip
SECONDS_PER_DAY = 86_400
MIN_YEAR, MAX_YEAR = 1900, 9999

DEPARTMENTS = (
    "Garden", "Kitchen", "Office", "Patio", "Bathroom", "Pet", "Craft", "Travel", "Nursery",
    "Beauty", "Camping", "Party", "Holiday", "Bedroom", "Studio", "Picnic", "Workshop",
    "Cottage", "Desk", "Beach", "Winter", "Summer", "Festive", "Cafe", "Library", "Balcony",
    "Dining", "Laundry", "Hallway", "Fitness", "Music", "School", "Wedding", "Harvest",
    "Woodland", "Seaside",
)  # fmt: skip
PRODUCTS = (
    "Lantern", "Mug", "Basket", "Lamp", "Bottle", "Candle", "Cushion", "Blanket", "Clock",
    "Frame", "Vase", "Planter", "Tray", "Jar", "Bowl", "Plate", "Apron", "Towel", "Notebook",
    "Pen", "Bag", "Box", "Mirror", "Hook", "Sign", "Tin", "Kettle", "Teapot", "Tumbler",
    "Napkin", "Coaster", "Rug", "Doorstop", "Wreath", "Ornament", "Garland", "Bunting",
    "Puzzle", "Game", "Kit", "Set", "Scarf", "Umbrella", "Wallet", "Purse", "Backpack",
    "Brush", "Soap", "Stool", "Shelf", "Hanger", "Holder", "Organiser", "Caddy", "Spoon",
    "Whisk", "Ladle", "Chopper", "Grater", "Timer", "Thermos", "Flask", "Sticker", "Stamp",
    "Ribbon", "Card", "Calendar", "Diary", "Pouch", "Tote",
)  # fmt: skip
ADJECTIVES = (
    "Rustic", "Vintage", "Modern", "Classic", "Elegant", "Cosy", "Bright", "Charming",
    "Compact", "Deluxe", "Handmade", "Nordic", "Retro", "Painted", "Woven", "Enamel",
    "Ceramic", "Wooden", "Metal", "Linen", "Cotton", "Velvet", "Floral", "Striped", "Spotty",
    "Pastel", "Golden", "Silver", "Copper", "Marble", "Bamboo", "Botanical", "Minimal",
    "Sturdy", "Tiny", "Giant", "Mini", "Large", "Petite", "Folding",
)  # fmt: skip

CSV_OPTIONS = pacsv.WriteOptions(quoting_style="none", quoting_header="none", batch_size=65_536)


@dataclass(frozen=True)
class GenerationSummary:
    """What one run wrote; dirty-row counts are included in the row counts."""

    out_dir: Path
    rows_per_file: dict[str, int]
    total_rows: int
    customers: int
    customers_per_type: dict[str, int]
    orders: int
    items_in_catalogue: int
    items_sold: int
    categories: int
    duplicate_rows: int
    missing_customer_rows: int
    zero_price_rows: int
    elapsed_seconds: float


@dataclass(frozen=True)
class _Calendar:
    year: int
    n_days: int
    month_start_day: np.ndarray  # 13 entries: day-of-year of each month start, then year end
    day_cdf: np.ndarray  # n_days + 1 entries, cumulative seasonal day weight starting at 0
    one_off_day_cdf: np.ndarray  # the same, tilted towards months 6-9
    hour_cdf: np.ndarray  # cumulative hour-of-day weight
    epoch_second: int  # Unix seconds of January 1st, 00:00:00 (naive local time)

    def sample_days(
        self,
        lo: np.ndarray,
        hi: np.ndarray,
        rng: np.random.Generator,
        cdf: np.ndarray | None = None,
    ) -> np.ndarray:
        """Seasonally weighted day-of-year in [lo, hi) per element, by inverse CDF."""
        cdf = self.day_cdf if cdf is None else cdf
        low = cdf[lo]
        u = low + rng.random(lo.size) * (cdf[hi] - low)
        day = np.searchsorted(cdf, u, side="right") - 1
        return np.clip(day, lo, hi - 1)

    def sample_seconds(self, day: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Second of the year for orders on the given days, following the daily pattern."""
        u = rng.random(day.size) * self.hour_cdf[-1]
        hour = np.minimum(np.searchsorted(self.hour_cdf, u, side="right"), 23)
        second = rng.integers(0, 3600, size=day.size)
        return day.astype(np.int64) * SECONDS_PER_DAY + hour * 3600 + second


@dataclass(frozen=True)
class _Catalogue:
    n_categories: int
    category_cdf: np.ndarray  # cumulative popularity, for drawing a category
    loyal_category_cdf: np.ndarray  # popularity tilted towards pricier categories
    category_size: np.ndarray
    category_start: np.ndarray  # items are numbered category by category
    price_cents: np.ndarray  # per item
    item_id: np.ndarray  # per item, a shuffled id so ids do not reveal the category
    item_name: pa.Array  # per item

    def sample_categories(
        self, n: int, rng: np.random.Generator, cdf: np.ndarray | None = None
    ) -> np.ndarray:
        cdf = self.category_cdf if cdf is None else cdf
        u = rng.random(n) * cdf[-1]
        return np.minimum(np.searchsorted(cdf, u, side="right"), self.n_categories - 1)

    def sample_items(self, category: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Zipf-distributed item of each given category."""
        size = self.category_size[category]
        return self.category_start[category] + _zipf_ranks(size, rng.random(category.size))


def _zipf_ranks(size: np.ndarray, u: np.ndarray) -> np.ndarray:
    """0-based ranks from a power law truncated to [1, size + 1), by inverse CDF of u.

    u is overwritten: this runs on ~12M lines at full scale, so temporaries are avoided.
    """
    a = 1.0 - ITEM_ZIPF_EXPONENT
    x = np.power(size + 1.0, a)
    x -= 1.0
    x *= u
    x += 1.0
    np.power(x, 1.0 / a, out=u)
    return np.minimum(u.astype(np.int32) - 1, size - 1)


def _build_calendar(year: int) -> _Calendar:
    n_days = 366 if calendar.isleap(year) else 365
    first = dt.date(year, 1, 1)
    month_start_day = np.array(
        [(dt.date(year, m, 1) - first).days for m in range(1, 13)] + [n_days], dtype=np.int64
    )
    weights = np.empty(n_days)
    for day in range(n_days):
        date = first + dt.timedelta(days=day)
        weights[day] = MONTH_WEIGHT[date.month - 1] * WEEKDAY_WEIGHT[date.weekday()]
    # Black Friday follows the fourth Thursday of November; Cyber Monday is 3 days later.
    november_first = dt.date(year, 11, 1)
    thanksgiving = november_first + dt.timedelta(days=(3 - november_first.weekday()) % 7 + 21)
    black_friday = (thanksgiving - first).days + 1
    weights[black_friday] *= 2.5
    weights[black_friday + 3] *= 2.0
    christmas = (dt.date(year, 12, 25) - first).days
    weights[christmas - 1] *= 0.7
    weights[christmas] *= 0.5
    # Lapsed customers only buy in months 1-5: leaning one-off orders towards months 6-9
    # keeps the monthly volume from stepping down in June.
    one_off_weights = weights * np.where(
        np.arange(n_days) < month_start_day[5], 1.0, ONE_OFF_LATE_WEIGHT
    )
    epoch = dt.datetime(year, 1, 1) - dt.datetime(1970, 1, 1)
    return _Calendar(
        year=year,
        n_days=n_days,
        month_start_day=month_start_day,
        day_cdf=np.concatenate([[0.0], np.cumsum(weights)]),
        one_off_day_cdf=np.concatenate([[0.0], np.cumsum(one_off_weights)]),
        hour_cdf=np.cumsum(HOUR_WEIGHT),
        epoch_second=int(epoch.total_seconds()),
    )


def _build_catalogue(items: int, rng: np.random.Generator) -> _Catalogue:
    max_categories = len(DEPARTMENTS) * len(PRODUCTS)
    n_categories = min(max(MIN_CATEGORIES, round(items / ITEMS_PER_CATEGORY)), max_categories)
    n_categories = min(n_categories, items)
    popularity = (np.arange(n_categories) + CATEGORY_RANK_OFFSET) ** -CATEGORY_ZIPF_EXPONENT
    popularity /= popularity.sum()
    # Bigger categories sell more, so each category has enough lines to sell all its items.
    size_weight = popularity * rng.lognormal(0.0, 0.35, n_categories)
    category_size = 1 + rng.multinomial(items - n_categories, size_weight / size_weight.sum())
    category_size = category_size.astype(np.int32)
    category_start = np.cumsum(category_size, dtype=np.int32) - category_size

    category_of_item = np.repeat(np.arange(n_categories), category_size)
    price_level = rng.normal(np.log(MEDIAN_PRICE), CATEGORY_PRICE_SIGMA, n_categories)
    raw_price = np.exp(price_level[category_of_item] + rng.normal(0.0, ITEM_PRICE_SIGMA, items))
    # A few premium items make the long tail without blurring typical spend.
    premium = rng.random(items) < PREMIUM_SHARE
    raw_price[premium] *= rng.lognormal(np.log(PREMIUM_FACTOR), 0.7, premium.sum())
    raw_price = np.clip(raw_price, 0.1, 5000.0)
    price_cents = np.rint(raw_price * 100).astype(np.int64)
    charm = (raw_price >= 1.5) & (rng.random(items) < 0.6)
    price_cents[charm] = np.rint(raw_price[charm]).astype(np.int64) * 100 - 1

    tilt = popularity * np.exp(LOYAL_PRICE_TILT * (price_level - price_level.mean()))

    combos = [f"{dept} {product}" for dept in DEPARTMENTS for product in PRODUCTS]
    name_order = rng.permutation(len(combos))[:n_categories]
    category_names = pa.array([combos[i] for i in name_order])
    item_id = ITEM_ID_OFFSET + rng.permutation(items)
    adjective = rng.integers(0, len(ADJECTIVES), items)
    item_name = pc.binary_join_element_wise(
        pa.array(ADJECTIVES).take(pa.array(adjective)),
        category_names.take(pa.array(category_of_item)),
        pc.cast(pa.array(item_id), pa.string()),
        " ",
    )
    return _Catalogue(
        n_categories=n_categories,
        category_cdf=np.cumsum(popularity),
        loyal_category_cdf=np.cumsum(tilt),
        category_size=category_size,
        category_start=category_start,
        price_cents=price_cents,
        item_id=item_id,
        item_name=item_name,
    )


def _type_counts(customers: int) -> np.ndarray:
    counts = np.floor(np.array(TYPE_SHARES) * customers).astype(np.int64)
    counts[ONE_OFF] += customers - counts.sum()
    return counts


def _draw_order_counts(
    customer_type: np.ndarray, budget: int, rng: np.random.Generator
) -> np.ndarray:
    """Orders per customer by type, scaled down if they exceed the clean line budget."""
    n_orders = np.ones(customer_type.size, dtype=np.int64)
    new = customer_type == NEW
    n_orders[new] += rng.random(new.sum()) < NEW_SECOND_ORDER_SHARE
    lapsed = customer_type == LAPSED
    n_orders[lapsed] = rng.integers(LAPSED_ORDERS[0], LAPSED_ORDERS[1] + 1, lapsed.sum())
    regular = customer_type == REGULAR
    n_orders[regular] = rng.integers(REGULAR_ORDERS[0], REGULAR_ORDERS[1] + 1, regular.sum())
    loyal = customer_type == LOYAL
    heavy_tail = 15 + np.floor(12 * rng.pareto(2.0, loyal.sum())).astype(np.int64)
    n_orders[loyal] = np.minimum(heavy_tail, MAX_ORDERS_PER_CUSTOMER)

    extra = n_orders - 1
    spare_budget = budget - customer_type.size
    if extra.sum() > spare_budget:
        n_orders = 1 + np.floor(extra * (spare_budget / extra.sum())).astype(np.int64)
    return n_orders


def _draw_order_times(
    customer_type: np.ndarray, n_orders: np.ndarray, cal: _Calendar, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Customer index and second-of-year of every order, sorted by time."""
    n_customers = customer_type.size
    year_end = cal.n_days
    lo = np.zeros(n_customers, dtype=np.int32)
    hi = np.full(n_customers, year_end, dtype=np.int32)
    hi[customer_type == ONE_OFF] = cal.month_start_day[9]
    lo[customer_type == NEW] = year_end - NEW_WINDOW_DAYS
    hi[customer_type == LAPSED] = cal.month_start_day[5]

    # Regular and loyal customers: draw the last order's day first, the others before it.
    anchored = (customer_type == REGULAR) | (customer_type == LOYAL)
    last_window = np.where(
        customer_type == LOYAL, LOYAL_LAST_WINDOW_DAYS, REGULAR_LAST_WINDOW_DAYS
    )[anchored]
    last_day = np.zeros(n_customers, dtype=np.int32)
    last_day[anchored] = cal.sample_days(
        year_end - last_window, np.full(anchored.sum(), year_end), rng
    )
    hi[anchored] = last_day[anchored] + 1

    customer = np.repeat(np.arange(n_customers, dtype=np.int64), n_orders)
    first_order = np.cumsum(n_orders) - n_orders
    is_last = np.zeros(customer.size, dtype=bool)
    is_last[first_order + n_orders - 1] = True
    day = np.empty(customer.size, dtype=np.int64)
    one_off = customer_type[customer] == ONE_OFF
    for chosen, cdf in ((~one_off, cal.day_cdf), (one_off, cal.one_off_day_cdf)):
        who = customer[chosen]
        day[chosen] = cal.sample_days(lo[who], hi[who], rng, cdf)
    pinned = is_last & anchored[customer]
    day[pinned] = last_day[customer[pinned]]
    second = cal.sample_seconds(day, rng)
    # Leave room below the window end for the de-duplication shift below.
    second = np.minimum(
        second, hi[customer].astype(np.int64) * SECONDS_PER_DAY - MAX_ORDERS_PER_CUSTOMER - 1
    )

    # Make each customer's order times strictly increasing: running max of (t - position).
    by_customer = np.argsort((customer << 32) | second)
    second = second[by_customer]
    position = np.arange(customer.size) - first_order[customer]
    group_floor = customer << 40  # keeps the running max from leaking across customers
    second = np.maximum.accumulate(second - position + group_floor) - group_floor + position

    by_time = np.argsort(second.astype(np.int32), kind="stable")
    return customer[by_time].astype(np.int32), second[by_time].astype(np.int32)


def _basket_sizes(order_type: np.ndarray, clean_lines: int, rng: np.random.Generator) -> np.ndarray:
    """Lines per order: one each, the rest spread by Gamma-weighted multinomial draws."""
    weight = rng.gamma(BASKET_GAMMA_SHAPE, size=order_type.size) * BASKET_TYPE_FACTOR[order_type]
    cumulative = np.cumsum(weight)
    u = rng.random(clean_lines - order_type.size) * cumulative[-1]
    u.sort()  # sorted queries make the binary searches cache friendly
    target = np.minimum(np.searchsorted(cumulative, u, side="right"), order_type.size - 1)
    return 1 + np.bincount(target, minlength=order_type.size)


def _line_categories(
    order_customer: np.ndarray,
    order_of_line: np.ndarray,
    preferred: tuple[np.ndarray, np.ndarray],
    catalogue: _Catalogue,
    rng: np.random.Generator,
) -> np.ndarray:
    """Category per line: its order's category (mostly a customer preference), bar strays."""
    first, second = preferred
    n_orders = order_customer.size
    u = rng.random(n_orders)
    order_category = catalogue.sample_categories(n_orders, rng)
    use_first = u < FIRST_PREFERENCE_ORDER_SHARE
    use_second = ~use_first & (u < FIRST_PREFERENCE_ORDER_SHARE + SECOND_PREFERENCE_ORDER_SHARE)
    order_category[use_first] = first[order_customer[use_first]]
    order_category[use_second] = second[order_customer[use_second]]

    line_category = order_category.astype(np.int32)[order_of_line]
    strays = np.flatnonzero(rng.random(line_category.size) >= LINE_KEEPS_ORDER_CATEGORY)
    line_category[strays] = catalogue.sample_categories(strays.size, rng)
    return line_category


def _assign_items(
    line_category: np.ndarray,
    order_of_line: np.ndarray,
    catalogue: _Catalogue,
    rng: np.random.Generator,
) -> np.ndarray:
    """Item index per line: every item once where possible, Zipf-popular items otherwise.

    Lines of a category taken in random order get ranks 0, 1, ...; ranks below the category
    size sell each item once. Categories short of lines borrow surplus lines (line_category
    is updated in place). The remaining lines draw a Zipf rank, redrawn while it repeats an
    item of the same order.
    """
    n_lines = line_category.size
    size = catalogue.category_size
    lines_per_category = np.bincount(line_category, minlength=catalogue.n_categories)
    # int32 indices keep the peak memory of this 16M-line stage down.
    shuffled = rng.permutation(n_lines).astype(np.int32)
    grouped = shuffled[np.argsort(line_category[shuffled], kind="stable")]
    del shuffled
    group_start = (np.cumsum(lines_per_category) - lines_per_category).astype(np.int32)
    rank = np.empty(n_lines, dtype=np.int32)
    rank[grouped] = np.arange(n_lines, dtype=np.int32) - np.repeat(group_start, lines_per_category)
    del grouped

    deficit = np.maximum(size - lines_per_category, 0)
    if deficit.any():
        surplus = np.flatnonzero(rank >= size[line_category])
        n_moved = min(int(deficit.sum()), surplus.size)
        moved = rng.choice(surplus, n_moved, replace=False)
        target = np.repeat(np.arange(catalogue.n_categories), deficit)[:n_moved]
        offset = np.arange(n_moved) - (np.cumsum(deficit) - deficit)[target]
        line_category[moved] = target
        rank[moved] = lines_per_category[target] + offset

    is_zipf = rank >= size[line_category]
    zipf_lines = np.flatnonzero(is_zipf)
    zipf_size = size[line_category[zipf_lines]]
    rank[zipf_lines] = _zipf_ranks(zipf_size, rng.random(zipf_lines.size))
    line_item = catalogue.category_start[line_category] + rank
    _redraw_repeated_items(line_item, line_category, is_zipf, order_of_line, catalogue, rng)
    return line_item


def _redraw_repeated_items(
    line_item: np.ndarray,
    line_category: np.ndarray,
    is_zipf: np.ndarray,
    order_of_line: np.ndarray,
    catalogue: _Catalogue,
    rng: np.random.Generator,
) -> None:
    """Redraw (in place) Zipf lines that repeat an item of their order.

    Otherwise the same item twice in a basket would make natural exact duplicates, and the
    planted duplicates would no longer be the only ones. Lines selling an item for coverage
    are never redrawn. Gives up after a few rounds, which only matters for categories of one
    or two items.
    """
    same_order = order_of_line[1:] == order_of_line[:-1]
    candidates = np.flatnonzero(np.append(same_order, False) | np.insert(same_order, 0, False))
    for _ in range(REDRAW_ROUNDS):
        # Sorting on (order, item, is_zipf) puts a coverage line first among its repeats.
        key = order_of_line[candidates].astype(np.int64) << 33
        key |= line_item[candidates].astype(np.int64) << 1
        key |= is_zipf[candidates]
        by_key = np.argsort(key)
        key = key[by_key] >> 1
        repeated = candidates[by_key[np.flatnonzero(key[1:] == key[:-1]) + 1]]
        if repeated.size == 0:
            return
        line_item[repeated] = catalogue.sample_items(line_category[repeated], rng)
        candidates = candidates[np.isin(order_of_line[candidates], order_of_line[repeated])]


def _split_by_month(total: int, month_lines: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return rng.multinomial(total, month_lines / month_lines.sum())


def _month_lines(
    clean: dict[str, np.ndarray],
    dirty: tuple[int, int, int],
    month: int,
    customer_type: np.ndarray,
    cal: _Calendar,
    catalogue: _Catalogue,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """One month's file lines: clean lines plus guest lines, by time, then duplicates.

    clean holds the month's customer, item and second arrays; dirty is the number of guest,
    duplicate and zero-price lines. Guests get customer -1.
    """
    n_guests, n_duplicates, n_zero_price = dirty
    customer, item = clean["customer"], clean["item"]
    price_cents = catalogue.price_cents[item]
    price_cents[rng.choice(item.size, n_zero_price, replace=False)] = 0

    guest_day = cal.sample_days(
        np.full(n_guests, cal.month_start_day[month]),
        np.full(n_guests, cal.month_start_day[month + 1]),
        rng,
    )
    guest_item = catalogue.sample_items(catalogue.sample_categories(n_guests, rng), rng)
    lines = {
        "customer": np.concatenate([customer, np.full(n_guests, -1, dtype=np.int32)]),
        "item": np.concatenate([item, guest_item]),
        "item_count": np.concatenate(
            [
                rng.geometric(STAY_PROBABILITY[customer_type[customer]]),
                rng.geometric(STAY_PROBABILITY[ONE_OFF], n_guests),
            ]
        ),
        "price_cents": np.concatenate([price_cents, catalogue.price_cents[guest_item]]),
        "second": np.concatenate([clean["second"], cal.sample_seconds(guest_day, rng)]),
    }
    # Stable, so the lines of one order stay together and in order.
    by_time = np.argsort(lines["second"], kind="stable")
    lines = {key: column[by_time] for key, column in lines.items()}

    # Each duplicate copies a line and is inserted somewhere after it.
    n_lines = by_time.size
    source = rng.integers(0, n_lines, n_duplicates)
    insert_at = source + 1 + np.floor(rng.random(n_duplicates) * (n_lines - source)).astype(int)
    return {key: np.insert(column, insert_at, column[source]) for key, column in lines.items()}


def _month_table(lines: dict[str, np.ndarray], catalogue: _Catalogue, cal: _Calendar) -> pa.Table:
    customer_id = pa.array(
        lines["customer"].astype(np.int64) + CUSTOMER_ID_OFFSET, mask=lines["customer"] < 0
    )
    columns = [
        # The real feed writes customer ids float-style; nulls (guests) become empty fields.
        pc.binary_join_element_wise(pc.cast(customer_id, pa.string()), ".0", ""),
        pa.array(catalogue.item_id[lines["item"]]),
        catalogue.item_name.take(pa.array(lines["item"])),
        pa.array(lines["price_cents"] / 100.0),
        pa.array(lines["item_count"]),
        pa.array(lines["second"].astype(np.int64) + cal.epoch_second, pa.timestamp("s")),
    ]
    return pa.Table.from_arrays(columns, names=list(HEADER))


def _write_table(table: pa.Table, path: Path, compress: bool) -> None:
    if not compress:
        pacsv.write_csv(table, str(path), CSV_OPTIONS)
        return
    # mtime=0 and an empty file name make the gzip header byte-deterministic.
    with (
        open(path, "wb") as raw,
        gzip_lib.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as gz,
    ):
        pacsv.write_csv(table, gz, CSV_OPTIONS)


def _write_customer_types(customer_type: np.ndarray, out_dir: Path) -> None:
    table = pa.table(
        {
            "customer_id": pa.array(np.arange(customer_type.size) + CUSTOMER_ID_OFFSET),
            "customer_type": pa.array(TYPE_NAMES).take(pa.array(customer_type)),
        }
    )
    pacsv.write_csv(table, str(out_dir / "customer_types.csv"), CSV_OPTIONS)


def _validate(rows: int, customers: int, items: int, seed: int, year: int) -> None:
    for name, value in (("rows", rows), ("customers", customers), ("items", items)):
        if value <= 0:
            raise ValueError(f"{name} must be a positive integer, got {value}")
    if rows < customers:
        raise ValueError(
            f"rows ({rows}) must be at least customers ({customers}): "
            "every customer places at least one order"
        )
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"year must be between {MIN_YEAR} and {MAX_YEAR}, got {year}")


def generate(
    rows: int,
    customers: int,
    items: int,
    seed: int,
    out_dir: str | Path,
    year: int = 2021,
    gzip: bool = False,
) -> GenerationSummary:
    """Write the 12 monthly sales files and customer_types.csv into out_dir."""
    _validate(rows, customers, items, seed, year)
    started = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stages = np.random.SeedSequence(seed).spawn(8)
    catalogue_rng, customer_rng, time_rng, basket_rng, category_rng, item_rng, dirty_rng = (
        np.random.default_rng(stage) for stage in stages[:7]
    )
    month_seeds = stages[7].spawn(12)

    # Dirty extra rows come out of the row budget, never below one line per customer.
    dirty_budget = rows - customers
    n_duplicates = min(round(rows * DUPLICATE_RATE), dirty_budget)
    n_guests = min(round(rows * MISSING_CUSTOMER_RATE), dirty_budget - n_duplicates)
    clean_lines = rows - n_duplicates - n_guests
    n_zero_price = min(round(rows * ZERO_PRICE_RATE), clean_lines)

    cal = _build_calendar(year)
    catalogue = _build_catalogue(items, catalogue_rng)

    type_counts = _type_counts(customers)
    customer_type = customer_rng.permutation(
        np.repeat(np.arange(len(TYPE_NAMES), dtype=np.int8), type_counts)
    )
    n_orders = _draw_order_counts(customer_type, clean_lines, customer_rng)
    first_preference = catalogue.sample_categories(customers, customer_rng)
    loyal = np.flatnonzero(customer_type == LOYAL)
    first_preference[loyal] = catalogue.sample_categories(
        loyal.size, customer_rng, catalogue.loyal_category_cdf
    )
    second_preference = np.where(
        customer_rng.random(customers) < SECOND_PREFERENCE_SHARE,
        catalogue.sample_categories(customers, customer_rng),
        first_preference,
    )
    _write_customer_types(customer_type, out_dir)

    order_customer, order_second = _draw_order_times(customer_type, n_orders, cal, time_rng)
    basket = _basket_sizes(customer_type[order_customer], clean_lines, basket_rng)
    order_of_line = np.repeat(np.arange(order_customer.size, dtype=np.int32), basket)
    preferences = (first_preference, second_preference)
    line_category = _line_categories(
        order_customer, order_of_line, preferences, catalogue, category_rng
    )
    line_item = _assign_items(line_category, order_of_line, catalogue, item_rng)
    del line_category
    # Orders are sorted by time, so the lines are too and each month is one slice.
    line_customer = order_customer[order_of_line]
    line_second = order_second[order_of_line]
    del order_of_line

    month_bounds = np.searchsorted(line_second, cal.month_start_day * SECONDS_PER_DAY)
    month_lines = np.diff(month_bounds)
    dirty_per_month = np.column_stack(
        [
            _split_by_month(n_guests, month_lines, dirty_rng),
            _split_by_month(n_duplicates, month_lines, dirty_rng),
            np.minimum(_split_by_month(n_zero_price, month_lines, dirty_rng), month_lines),
        ]
    )

    sold = np.zeros(items, dtype=bool)
    rows_per_file: dict[str, int] = {}
    for month in range(12):
        month_slice = slice(month_bounds[month], month_bounds[month + 1])
        clean = {
            "customer": line_customer[month_slice],
            "item": line_item[month_slice],
            "second": line_second[month_slice],
        }
        lines = _month_lines(
            clean,
            tuple(dirty_per_month[month].tolist()),
            month,
            customer_type,
            cal,
            catalogue,
            np.random.default_rng(month_seeds[month]),
        )
        sold[lines["item"]] = True
        name = f"sales_{year}_{month + 1:02d}.csv" + (".gz" if gzip else "")
        _write_table(_month_table(lines, catalogue, cal), out_dir / name, gzip)
        rows_per_file[name] = lines["item"].size
        print(f"{name}: {rows_per_file[name]:,} rows", file=sys.stderr, flush=True)

    guests, duplicates, zero_price = dirty_per_month.sum(axis=0).tolist()
    return GenerationSummary(
        out_dir=out_dir,
        rows_per_file=rows_per_file,
        total_rows=sum(rows_per_file.values()),
        customers=customers,
        customers_per_type=dict(zip(TYPE_NAMES, type_counts.tolist(), strict=True)),
        orders=order_customer.size,
        items_in_catalogue=items,
        items_sold=int(sold.sum()),
        categories=catalogue.n_categories,
        duplicate_rows=duplicates,
        missing_customer_rows=guests,
        zero_price_rows=zero_price,
        elapsed_seconds=time.perf_counter() - started,
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m datagen.ecommerce",
        description="Generate a deterministic synthetic e-commerce sales feed: one CSV per "
        "month (sales_YYYY_MM.csv) plus customer_types.csv, the behavioural ground truth.",
    )
    parser.add_argument(
        "--rows",
        type=_positive_int,
        default=300_000,
        help="total data rows over the 12 monthly files, dirty rows included (default 300000)",
    )
    parser.add_argument(
        "--customers",
        type=_positive_int,
        default=53_000,
        help="distinct customers, each with at least one order; at most --rows (default 53000)",
    )
    parser.add_argument(
        "--items",
        type=_positive_int,
        default=69_000,
        help="catalogue size; every item is sold at least once if rows allow (default 69000)",
    )
    parser.add_argument(
        "--seed",
        type=_non_negative_int,
        default=42,
        help="random seed; the same arguments give byte-identical files (default 42)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        help="output directory, created if missing",
    )
    parser.add_argument(
        "--year",
        type=int,
        default=2021,
        help=f"calendar year of the purchases, {MIN_YEAR}-{MAX_YEAR} (default 2021)",
    )
    parser.add_argument(
        "--gzip",
        action="store_true",
        help="write sales_YYYY_MM.csv.gz (byte-deterministic gzip) instead of plain CSV",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.rows < args.customers:
        parser.error(
            f"--rows ({args.rows}) must be at least --customers ({args.customers}): "
            "every customer places at least one order"
        )
    if not MIN_YEAR <= args.year <= MAX_YEAR:
        parser.error(f"--year must be between {MIN_YEAR} and {MAX_YEAR}, got {args.year}")
    if args.out.exists() and not args.out.is_dir():
        parser.error(f"--out {args.out} exists and is not a directory")
    summary = generate(
        rows=args.rows,
        customers=args.customers,
        items=args.items,
        seed=args.seed,
        out_dir=args.out,
        year=args.year,
        gzip=args.gzip,
    )
    print(
        f"wrote {summary.total_rows:,} rows for {summary.customers:,} customers "
        f"({summary.orders:,} orders, {summary.items_sold:,} of {summary.items_in_catalogue:,} "
        f"items sold; dirty: {summary.duplicate_rows:,} duplicates, "
        f"{summary.missing_customer_rows:,} without customer id, "
        f"{summary.zero_price_rows:,} zero-price) to {summary.out_dir} "
        f"in {summary.elapsed_seconds:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
