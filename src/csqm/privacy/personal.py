"""Masks for names and postal addresses (customer master data)."""

from __future__ import annotations

import re

#: Common Chinese compound surnames (复姓): the whole surname is kept.
_SURNAME_PAIRS = (
    "欧阳司马上官诸葛东方皇甫尉迟公孙慕容长孙宇文司徒司空夏侯轩辕令狐钟离闻人澹台公冶太史申屠端木南宫西门独孤百里"
    "呼延万俟濮阳淳于单于赫连拓跋第五东郭左丘仲孙亓官鲜于闾丘梁丘羊舌微生巫马公良乐正漆雕壤驷公西谷梁宰父段干呼衍"
)
COMPOUND_SURNAMES = frozenset(_SURNAME_PAIRS[i : i + 2] for i in range(0, len(_SURNAME_PAIRS), 2))

_CJK = re.compile("[\u3400-\u9fff]")
#: Province / city / district prefix of a Chinese address; everything after it is masked.
_ADMIN_PREFIX = re.compile(
    "(?:[\u4e00-\u9fff]{1,7}?(?:省|自治区|特别行政区))?"
    "(?:[\u4e00-\u9fff]{1,8}?(?:自治州|地区|盟|市|州))?"
    "(?:[\u4e00-\u9fff]{1,6}?(?:新区|区|县|旗|市))?"
)
ADDRESS_KEEP = 6


def mask_name(name: str | None) -> str | None:
    """``张三`` → ``张*``, ``欧阳娜娜`` → ``欧阳**``, ``John Smith`` → ``J*** S****``."""
    if name is None:
        return None
    name = name.strip()
    if not name:
        return name
    if _CJK.search(name):
        compact = "".join(name.split())
        keep = 2 if compact[:2] in COMPOUND_SURNAMES and len(compact) > 2 else 1
        if len(compact) == 1:
            keep = 0
        return compact[:keep] + "*" * (len(compact) - keep)
    return " ".join(word[0] + "*" * (len(word) - 1) for word in name.split())


def mask_address(address: str | None) -> str | None:
    """Keep the address up to its city/district (``广东省深圳市南山区****``), else its start + ``****``.

    Without a recognisable administrative prefix, the first 6 characters are kept (at most half of
    a short address).
    """
    if address is None:
        return None
    address = address.strip()
    if not address:
        return address
    prefix = _ADMIN_PREFIX.match(address)
    kept = prefix.group() if prefix else ""
    if not kept:
        kept = address[: min(ADDRESS_KEEP, len(address) // 2)]
    return kept + "****"
