//! UI texts of this feature: (key, zh-CN, English).

pub const TEXTS: &[(&str, &str, &str)] = &[
    (
        "workbook.download",
        "下载团队工作簿（Excel）",
        "Download the team workbook (Excel)",
    ),
    (
        "workbook.hint",
        "人员、目标与权重、打卡、业务事件、反馈卡、绩效评价和积分，一个文件，每类一张表。",
        "People, goals and weights, check-ins, events, feedback cards, reviews and points: one file, one sheet each.",
    ),
];
