"""Name lists for the Linfen demo data: townships, village words, surnames, given names.

Township names are those of Linfen's real townships (乡镇/街道) as far as they are known;
their codes, and all village and community names below them, are made up for the demo.
Lists are written as space-separated words to keep them readable.
"""


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


#: Townships (镇, 乡) and sub-districts (街道) per county-level division.
TOWNSHIPS: dict[str, tuple[str, ...]] = {
    "141002": _words("解放路街道 屯里镇 乔李镇 大阳镇 县底镇 金殿镇 吴村镇 土门镇 魏村镇"),
    "141021": _words("乐昌镇 曲村镇 高显镇 里村镇 史村镇 北董乡 杨谈乡"),
    "141022": _words("唐兴镇 南梁镇 里砦镇 隆化镇 桥上镇 西阎镇 中卫乡 南唐乡"),
    "141023": _words("新城镇 赵康镇 汾城镇 襄陵镇 邓庄镇 古城镇 南辛店乡 陶寺乡"),
    "141024": _words("大槐树镇 甘亭镇 曲亭镇 苏堡镇 广胜寺镇 明姜镇 赵城镇 淹底乡"),
    "141025": _words("岳阳镇 北平镇 古阳镇 旧县镇 石壁乡 永乐乡"),
    "141026": _words("府城镇 和川镇 唐城镇 冀氏镇 马壁乡 良马乡"),
    "141027": _words("天坛镇 响水河镇 东张乡 槐埝乡 北王乡 寨圪塔乡"),
    "141028": _words("吉昌镇 屯里镇 壶口镇 车城乡 文城乡 中垛乡"),
    "141029": _words("昌宁镇 光华镇 台头镇 管头镇 西坡镇 双鹤乡 关王庙乡"),
    "141030": _words("昕水镇 曲峨镇 三多乡 太德乡 徐家垛乡"),
    "141031": _words("龙泉镇 午城镇 黄土镇 阳头升乡 寨子乡 城南乡"),
    "141032": _words("芝河镇 桑壁镇 阁底乡 南庄乡 打石腰乡 坡头乡"),
    "141033": _words("蒲城镇 薛关镇 黑龙关镇 克城镇 山中乡 红道乡"),
    "141034": _words("永安镇 对竹镇 勍香镇 和平镇 僧念镇 佃坪乡"),
    "141081": _words("路东街道 路西街道 浍滨街道 上马街道 张村街道 新田乡 高村乡 凤城乡"),
    "141082": _words("鼓楼街道 北环路街道 开元街道 退沙街道 白龙镇 辛置镇 大张镇 李曹镇 陶唐峪乡"),
}

#: Words for urban communities (社区) under a sub-district.
COMMUNITY_WORDS = _words(
    "东关 西关 南关 北关 新华 解放 建设 和平 文化 幸福 鼓楼 车站 平阳 滨河 向阳 康宁"
)

#: Village name parts: prefix + (surname + suffix, or a place word) + "村".
VILLAGE_PREFIXES = ("", "", "", *_words("东 西 南 北 上 下 前 后 大 小"))
VILLAGE_SURNAMES = _words(
    "王 李 张 刘 陈 杨 赵 郭 贾 柴 靳 侯 师 史 段 梁 韩 薛 白 乔 贺 卫 席 尉 景 亢"
)
VILLAGE_SUFFIXES = ("", "", *_words("家庄 庄 家沟 家坡 家垣 堡 峪 窑 家湾"))
VILLAGE_PLACES = _words("柏树 槐树 杏树 枣园 桃园 石门 河底 龙泉 庙前 古城 泉头 岭上 沟口 坡底")

#: Common surnames with rough weights (in Shanxi 王 李 张 刘 郭 杨 are the most common).
SURNAMES: tuple[tuple[str, int], ...] = tuple(
    (entry[0], int(entry[1:]))
    for entry in _words(
        "王90 李75 张70 刘60 郭40 杨38 赵35 陈30 贾25 武20 梁20 吴18 高18 任16 韩16 黄12 "
        "周12 段12 薛12 史10 卫10 柴9 乔9 冯9 孙9 马9 田8 范8 程8 董8 曹8 宋8 崔7 申7 "
        "许7 闫7 牛6 焦6 侯6 秦6 吕6 邓5 靳4 景4 亢3 解3 尉3 席3"
    )
)

#: Given names by generation (born before 1965, 1965–1994, 1995 and later) and sex.
GIVEN_NAMES_OLD_MALE = _words(
    "建国 建军 国庆 振华 德胜 福贵 金山 长生 树林 文明 志强 保国 爱民 满仓 有才 二虎 "
    "玉林 永富 占魁 根生 天才 铁柱 存良 来福 宝山 庆丰"
)
GIVEN_NAMES_OLD_FEMALE = _words(
    "秀英 桂兰 玉兰 淑珍 凤英 秀兰 桂英 翠花 玉梅 素琴 巧云 爱莲 月娥 金花 春梅 银环 "
    "改莲 粉香 转英 引弟 莲花 桂香"
)
GIVEN_NAMES_MIDDLE_MALE = _words(
    "伟 强 军 磊 勇 斌 刚 涛 鹏 晓东 建华 海涛 志刚 俊杰 晓峰 红军 小平 永刚 文斌 "
    "卫东 向阳 海军 利军 晋生"
)
GIVEN_NAMES_MIDDLE_FEMALE = _words(
    "丽 敏 静 娟 燕 艳 霞 红霞 丽娟 晓燕 美玲 春燕 海燕 慧敏 丽萍 雪梅 彩霞 亚楠 "
    "晋芳 冬梅 瑞芳 小红"
)
GIVEN_NAMES_YOUNG_MALE = _words(
    "浩然 子轩 宇航 梓豪 俊熙 一鸣 博文 皓轩 思远 嘉豪 子墨 天佑 明轩 晨阳 家乐 子豪 "
    "奕辰 睿 浩宇 宇轩 泽宇 昊天"
)
GIVEN_NAMES_YOUNG_FEMALE = _words(
    "梓涵 欣怡 子萱 雨桐 可馨 思琪 诗涵 一诺 语嫣 佳怡 梦瑶 紫涵 若汐 欣妍 雨欣 婉清 "
    "依依 佳琪 心怡 沐晴 安琪 悦"
)

#: Mobile number prefixes of the three Chinese carriers.
PHONE_PREFIXES = _words(
    "133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 177 180 181 186 187 188 189 198"
)
