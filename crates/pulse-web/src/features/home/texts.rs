//! UI texts of this feature: (key, zh-CN, English).

pub const TEXTS: &[(&str, &str, &str)] = &[
    ("nav.home", "工作台", "Home"),
    ("home.title", "工作台", "Home"),
    ("home.todos", "今日待办", "To do"),
    (
        "home.no_todos",
        "没有待办，做得好。",
        "Nothing to do. Well done.",
    ),
    ("home.all_todos", "全部待办", "All to-dos"),
    ("home.to_write", "待写反馈卡", "Cards to write"),
    (
        "home.to_write_hint",
        "拜访后 15 分钟内写完，3 个标签打分 + 一句观察。",
        "Right after the visit: rate 3 tags and note one observation.",
    ),
    ("home.write", "写反馈卡", "Write the card"),
    ("home.my_goals", "我的目标", "My goals"),
    ("home.score", "加权得分", "Weighted score"),
    (
        "home.no_goals",
        "本期还没有目标。",
        "No goals this period yet.",
    ),
    ("home.progress", "进度", "Progress"),
    ("home.weight", "权重", "Weight"),
    ("home.points", "我的积分", "My points"),
    ("home.rewards", "去兑换", "Rewards"),
    ("home.team", "我的团队", "My team"),
    (
        "home.team_average",
        "团队平均加权得分",
        "Team average score",
    ),
    ("home.team_board", "团队看板", "Team board"),
    ("home.digest", "本周团队反馈摘要", "This week's team digest"),
    (
        "home.no_flags",
        "本周没有异动。",
        "No changes flagged this week.",
    ),
    ("home.open_digest", "查看摘要", "Open the digest"),
    ("home.attention", "需要处理", "Needs attention"),
    (
        "home.all_clear",
        "配置完整，运行正常。",
        "Set up and running.",
    ),
    ("home.points_unit", "分", "points"),
];
