"""The six VN_AQI categories (Decision 1459/QĐ-TCMT Tables 1, 4 and 5).

Names, ranges and colours follow Table 1. English names are ours (the decision is Vietnamese only).
The health effects and advice below are written in our own words, in Vietnamese and English, after
the meaning of Tables 4 and 5; "sensitive groups" are the elderly, children and people with
respiratory or heart disease.

The category is assigned from the *rounded* AQI (VN_AQI.md §7): 0–50, 51–100, 101–150, 151–200,
201–300, 301–500.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from forecast.aqi.rounding import round_half_up


@dataclass(frozen=True)
class Category:
    """One VN_AQI category.

    Attributes
    ----------
    index
        1 (Tốt) … 6 (Nguy hại); 0 is used elsewhere for "no AQI".
    aqi_min, aqi_max
        Inclusive range of the rounded AQI.
    name_vi, name_en
        Name in Vietnamese (official) and English (ours).
    colour_vi, colour_en
        Colour name.
    hex
        Colour as ``#RRGGBB``.
    rgb
        Colour as (R, G, B), 0–255.
    effect_vi, effect_en
        What the level means for health.
    advice_general_vi, advice_general_en
        Advice for the general public.
    advice_sensitive_vi, advice_sensitive_en
        Advice for sensitive groups.
    """

    index: int
    aqi_min: int
    aqi_max: int
    name_vi: str
    name_en: str
    colour_vi: str
    colour_en: str
    hex: str
    rgb: tuple[int, int, int]
    effect_vi: str
    effect_en: str
    advice_general_vi: str
    advice_general_en: str
    advice_sensitive_vi: str
    advice_sensitive_en: str


_EVERYONE_OUTDOORS_VI = "Có thể thoải mái hoạt động ngoài trời như thường ngày."
_EVERYONE_OUTDOORS_EN = "Outdoor activities can go ahead as usual."
_SHELTER_VI = (
    "Ở trong nhà, đóng kín cửa ra vào và cửa sổ; nếu bắt buộc phải ra ngoài, hãy đeo khẩu trang "
    "lọc bụi đạt tiêu chuẩn."
)
_SHELTER_EN = (
    "Stay inside with doors and windows closed; if going out cannot be avoided, wear a certified "
    "particle-filtering mask."
)

CATEGORIES: Final[tuple[Category, ...]] = (
    Category(
        1, 0, 50, "Tốt", "Good", "Xanh", "green", "#00E400", (0, 228, 0),
        effect_vi="Không khí trong lành, không gây hại cho sức khỏe.",
        effect_en="The air is clean and poses no risk to health.",
        advice_general_vi=_EVERYONE_OUTDOORS_VI,
        advice_general_en=_EVERYONE_OUTDOORS_EN,
        advice_sensitive_vi=_EVERYONE_OUTDOORS_VI,
        advice_sensitive_en=_EVERYONE_OUTDOORS_EN,
    ),
    Category(
        2, 51, 100, "Trung bình", "Moderate", "Vàng", "yellow", "#FFFF00", (255, 255, 0),
        effect_vi="Chất lượng không khí ở mức chấp nhận được; người nhạy cảm có thể chịu ảnh hưởng nhẹ.",
        effect_en="Air quality is acceptable, though sensitive people may notice some effects.",
        advice_general_vi="Không cần hạn chế các hoạt động ngoài trời.",
        advice_general_en="There is no need to limit outdoor activities.",
        advice_sensitive_vi=(
            "Vẫn có thể hoạt động ngoài trời, nhưng hãy để ý các dấu hiệu như ho hoặc hụt hơi."
        ),
        advice_sensitive_en=(
            "Outdoor activities are still fine; keep an eye out for coughing or shortness of breath."
        ),
    ),
    Category(
        3, 101, 150, "Kém", "Poor", "Da cam", "orange", "#FF7E00", (255, 126, 0),
        effect_vi="Người nhạy cảm bắt đầu gặp vấn đề sức khỏe; người khỏe mạnh hầu như chưa bị ảnh hưởng.",
        effect_en="Sensitive people may have health problems; healthy people are hardly affected.",
        advice_general_vi=(
            "Nếu thấy cay mắt, rát họng hoặc ho, hãy bớt thời gian ở ngoài trời. Học sinh vẫn có thể "
            "ra ngoài nhưng nên tránh vận động mạnh kéo dài."
        ),
        advice_general_en=(
            "If your eyes sting, your throat is sore or you cough, spend less time outdoors. Pupils may "
            "still go outside but should avoid long, strenuous exercise."
        ),
        advice_sensitive_vi=(
            "Giảm vận động gắng sức và rút ngắn thời gian ở ngoài trời; người bị hen có thể cần dùng "
            "thuốc thường xuyên hơn."
        ),
        advice_sensitive_en=(
            "Cut down on strenuous exertion and on time outdoors; people with asthma may need their "
            "medication more often."
        ),
    ),
    Category(
        4, 151, 200, "Xấu", "Bad", "Đỏ", "red", "#FF0000", (255, 0, 0),
        effect_vi="Mọi người bắt đầu chịu ảnh hưởng sức khỏe; người nhạy cảm có thể bị ảnh hưởng nặng hơn.",
        effect_en="Everyone may start to feel health effects; sensitive people may be hit harder.",
        advice_general_vi=(
            "Hạn chế vận động gắng sức ngoài trời, tránh tập luyện kéo dài và dành nhiều thời gian "
            "nghỉ ngơi trong nhà hơn."
        ),
        advice_general_en=(
            "Limit strenuous outdoor activity, avoid long workouts and spend more time resting indoors."
        ),
        advice_sensitive_vi=(
            "Nên ở trong nhà và chỉ vận động nhẹ; nếu phải ra ngoài, hãy đeo khẩu trang lọc bụi đạt "
            "tiêu chuẩn."
        ),
        advice_sensitive_en=(
            "Stay indoors and keep activity light; if you have to go out, wear a certified "
            "particle-filtering mask."
        ),
    ),
    Category(
        5, 201, 300, "Rất xấu", "Very bad", "Tím", "purple", "#8F3F97", (143, 63, 151),
        effect_vi="Cảnh báo sức khỏe: mọi người đều có thể bị ảnh hưởng nghiêm trọng hơn.",
        effect_en="Health alert: everyone may suffer more serious health effects.",
        advice_general_vi=(
            "Giảm tối đa thời gian ở ngoài trời và chuyển các hoạt động vào trong nhà; đeo khẩu trang "
            "đạt tiêu chuẩn khi ra ngoài."
        ),
        advice_general_en=(
            "Keep time outdoors to a minimum and move activities inside; wear a certified mask when out."
        ),
        advice_sensitive_vi="Ở trong nhà và tránh mọi hoạt động gắng sức.",
        advice_sensitive_en="Remain indoors and avoid any physical exertion.",
    ),
    Category(
        6, 301, 500, "Nguy hại", "Hazardous", "Nâu", "brown", "#7E0023", (126, 0, 35),
        effect_vi="Báo động khẩn cấp về sức khỏe: toàn bộ người dân có thể bị ảnh hưởng nghiêm trọng.",
        effect_en="Health emergency: the whole population is likely to be seriously affected.",
        advice_general_vi=_SHELTER_VI,
        advice_general_en=_SHELTER_EN,
        advice_sensitive_vi=_SHELTER_VI,
        advice_sensitive_en=_SHELTER_EN,
    ),
)  # fmt: skip
"""The six categories, in order of index."""

UPPER_BOUNDS: Final = tuple(c.aqi_max for c in CATEGORIES[:-1])
"""Rounded AQI at the top of categories 1 … 5: (50, 100, 150, 200, 300)."""


def category_by_index(index: int) -> Category:
    """The :class:`Category` with index 1 … 6.

    Raises
    ------
    ValueError
        For any other index (0 means "no AQI" and has no category).
    """
    if not 1 <= int(index) <= len(CATEGORIES):
        raise ValueError(f"VN_AQI category index must be 1..6, got {index!r}")
    return CATEGORIES[int(index) - 1]


def category_of(aqi: npt.ArrayLike) -> np.ndarray:
    """Category index 1 … 6 of an AQI, 0 where the AQI is NaN.

    Parameters
    ----------
    aqi
        VN_AQI (dimensionless). It is rounded half up first, so the category always follows the
        rounded value (50.4 → 50 → 1; 50.5 → 51 → 2).

    Returns
    -------
    numpy.ndarray
        int8 array of the input's shape.

    Examples
    --------
    >>> category_of([0, 50, 50.5, 101, 151, 300, 301, 500, float("nan")]).tolist()
    [1, 1, 2, 3, 4, 5, 6, 6, 0]
    """
    rounded = round_half_up(aqi)
    result = np.zeros(rounded.shape, dtype=np.int8)
    np.add(result, rounded >= 0, out=result, casting="unsafe")  # NaN compares False -> 0
    for bound in UPPER_BOUNDS:
        np.add(result, rounded > bound, out=result, casting="unsafe")
    return result
