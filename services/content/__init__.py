"""Shop content (issue 11; seeds 002 and 003): the homepage and its banners.

Modules, one idea each:

- `banners`: staff-managed homepage banners and the ones showing now;
- `homepage`: the homepage's sections, their order and the shared data behind them.

services.content imports no services.orders (orders may use content).
"""

from services.content.banners import LINK_TYPES as BANNER_LINK_TYPES
from services.content.banners import (active_banners, banner_view, create_banner, delete_banner, get_banner,
                                      list_banners, update_banner)
from services.content.homepage import MAX_SECTION_ITEMS, top_categories
from services.content.homepage import PERSONAL_SECTIONS as PERSONAL_HOMEPAGE_SECTIONS
from services.content.homepage import SECTIONS as HOMEPAGE_SECTIONS
from services.content.homepage import section_keys as homepage_section_keys
from services.content.reasons import REASONS

__all__ = ["BANNER_LINK_TYPES", "HOMEPAGE_SECTIONS", "MAX_SECTION_ITEMS", "PERSONAL_HOMEPAGE_SECTIONS", "REASONS",
           "active_banners", "banner_view", "create_banner", "delete_banner", "get_banner", "homepage_section_keys",
           "list_banners", "top_categories", "update_banner"]
