//! Plausible Chinese names, drawn from common surnames and given-name characters.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

// Roughly by frequency: the first ones come up more often.
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁",
    "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏",
    "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "闫", "段", "雷", "侯",
    "欧阳", "上官", "司马",
];

const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "玉", "萍", "红", "鹏", "辉", "建", "宇", "浩",
    "婷", "雪", "琳", "晨", "欣", "子", "涵", "轩", "博", "文", "思", "佳", "梓", "睿", "一", "诺",
    "嘉", "怡", "俊", "晓", "海", "天", "志", "国", "春", "冬", "梅", "兰", "倩", "颖", "慧", "蕾",
    "凯", "毅", "鑫", "昊", "宁", "悦", "琪", "瑶", "航", "帆", "哲", "然", "彤", "瑞", "泽", "阳",
];

pub fn name(rng: &mut ChaCha8Rng) -> String {
    // Skew towards the common surnames: square a uniform draw.
    let u: f64 = rng.random();
    let surname = SURNAMES[((u * u) * SURNAMES.len() as f64) as usize % SURNAMES.len()];
    let first = GIVEN[rng.random_range(0..GIVEN.len())];
    if rng.random_range(0..10) < 3 {
        format!("{surname}{first}")
    } else {
        let second = GIVEN[rng.random_range(0..GIVEN.len())];
        format!("{surname}{first}{second}")
    }
}
