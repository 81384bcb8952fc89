//! The plan of the demo organisation: pure data, computed from the seed.

use chrono::NaiveDate;
use pulse_domain::org::UnitKind;
use pulse_domain::roles::Role;
use pulse_store::org::NewUnit;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::names;

pub struct DemoUnit {
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    pub parent: Option<String>,
    pub sort: i64,
}

impl DemoUnit {
    pub fn new_unit(&self) -> NewUnit {
        NewUnit {
            code: self.code.clone(),
            name: self.name.clone(),
            kind: self.kind,
            parent_code: self.parent.clone(),
            sort_order: self.sort,
        }
    }
}

pub struct DemoPerson {
    pub employee_no: String,
    pub name: String,
    pub job_family: &'static str,
    pub level: &'static str,
    pub unit_code: String,
    pub manager: Option<String>,
    pub hire_date: NaiveDate,
    /// The named demo login, if this person has one; others sign in with their 工号.
    pub login: Option<String>,
    /// Roles with the org unit code a subtree scope is anchored at (`None` = org-wide or self).
    pub roles: Vec<(Role, Option<String>)>,
}

pub struct DemoOrg {
    pub units: Vec<DemoUnit>,
    pub people: Vec<DemoPerson>,
}

impl DemoOrg {
    pub fn by_login(&self, login: &str) -> Option<&DemoPerson> {
        self.people
            .iter()
            .find(|p| p.login.as_deref() == Some(login))
    }

    pub fn count(&self, job_family: &str) -> usize {
        self.people
            .iter()
            .filter(|p| p.job_family == job_family)
            .count()
    }
}

pub const SALES: &str = "销售代表";
pub const ENGINEER: &str = "服务工程师";
pub const AGENT: &str = "客服专员";
pub const TEAM_LEAD: &str = "一线主管";
pub const REGION_MANAGER: &str = "大区经理";
pub const DIRECTOR: &str = "大区总监";

/// (code, region name, cities for team names, share of the 2,100 frontline staff in ‰)
const REGIONS: &[(&str, &str, &[&str], u32)] = &[
    (
        "HD",
        "华东大区",
        &["上海", "杭州", "南京", "苏州", "合肥", "宁波"],
        110,
    ),
    (
        "HN",
        "华南大区",
        &["广州", "深圳", "东莞", "佛山", "海口"],
        82,
    ),
    (
        "HB",
        "华北大区",
        &["北京", "石家庄", "太原", "呼和浩特"],
        74,
    ),
    ("HZ", "华中大区", &["武汉", "宜昌", "襄阳", "南昌"], 64),
    ("XN", "西南大区", &["成都", "绵阳", "南充"], 58),
    ("XB", "西北大区", &["西安", "兰州", "银川", "乌鲁木齐"], 44),
    ("DB", "东北大区", &["沈阳", "大连", "长春", "哈尔滨"], 52),
    ("JJ", "京津冀大区", &["天津", "唐山", "保定"], 56),
    ("JS", "江苏大区", &["无锡", "常州", "徐州", "南通"], 66),
    ("ZJ", "浙江大区", &["温州", "绍兴", "金华", "台州"], 62),
    ("SD", "山东大区", &["济南", "青岛", "烟台", "潍坊"], 64),
    ("FJ", "福建大区", &["福州", "厦门", "泉州"], 46),
    ("CY", "川渝大区", &["重庆", "万州", "涪陵"], 50),
    ("YG", "云贵大区", &["昆明", "贵阳", "遵义"], 40),
    ("HUN", "湖南大区", &["长沙", "株洲", "衡阳"], 48),
    ("HEN", "河南大区", &["郑州", "洛阳", "新乡"], 50),
    ("GX", "广西大区", &["南宁", "柳州", "桂林"], 34),
];

const FRONTLINE: usize = 2_100;
const CN_NUM: &[&str] = &[
    "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二",
];

struct Counter(u32);

impl Counter {
    fn next(&mut self) -> String {
        self.0 += 1;
        self.0.to_string()
    }
}

fn hire_date(rng: &mut ChaCha8Rng, from_year: i32) -> NaiveDate {
    let start = NaiveDate::from_ymd_opt(from_year, 1, 1).unwrap_or_default();
    let end = NaiveDate::from_ymd_opt(2026, 6, 30).unwrap_or_default();
    let span = (end - start).num_days().max(1);
    start + chrono::Duration::days(rng.random_range(0..span))
}

/// Splits `total` in proportion to `weights`, exactly (largest remainder).
fn split(total: usize, weights: &[usize]) -> Vec<usize> {
    let sum: usize = weights.iter().sum::<usize>().max(1);
    let mut sizes: Vec<usize> = weights.iter().map(|w| total * w / sum).collect();
    let mut rest: Vec<(usize, usize)> = weights
        .iter()
        .enumerate()
        .map(|(i, w)| (total * w % sum, i))
        .collect();
    rest.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let short = total - sizes.iter().sum::<usize>();
    for (_, i) in rest.into_iter().take(short) {
        sizes[i] += 1;
    }
    sizes
}

/// Frontline headcount per region and job family: customer-service agents sit
/// in the eight largest regions' service centres, engineers are spread by size,
/// sales reps are the rest. Totals are exact: 1,400 / 500 / 200.
fn region_mix() -> Vec<(usize, usize, usize)> {
    let sizes = split(
        FRONTLINE,
        &REGIONS.iter().map(|r| r.3 as usize).collect::<Vec<_>>(),
    );
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by(|a, b| sizes[*b].cmp(&sizes[*a]).then(a.cmp(b)));
    let centre_weights: Vec<usize> = (0..sizes.len())
        .map(|i| if order[..8].contains(&i) { sizes[i] } else { 0 })
        .collect();
    let agents = split(200, &centre_weights);
    let rest: Vec<usize> = sizes.iter().zip(&agents).map(|(s, a)| s - a).collect();
    let engineers = split(500, &rest);
    sizes
        .iter()
        .zip(agents)
        .zip(engineers)
        .map(|((s, a), e)| (s - a - e, e, a))
        .collect()
}

/// Splits `n` people into teams of 8–15 (as even as possible, about 12).
fn team_sizes(n: usize) -> Vec<usize> {
    if n == 0 {
        return Vec::new();
    }
    let teams = n.div_ceil(12).max(1);
    let teams = if n / teams < 8 && teams > 1 {
        teams - 1
    } else {
        teams
    };
    (0..teams)
        .map(|i| n / teams + usize::from(i < n % teams))
        .collect()
}

pub fn plan(seed: u64) -> DemoOrg {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut units = Vec::new();
    let mut people: Vec<DemoPerson> = Vec::new();
    let mut no = Counter(10_000);
    let unit = |code: &str, name: &str, kind, parent: Option<&str>, sort| DemoUnit {
        code: code.into(),
        name: name.into(),
        kind,
        parent: parent.map(str::to_string),
        sort,
    };
    units.push(unit("HQ", "华康医疗器械集团", UnitKind::Group, None, 0));
    units.push(unit(
        "HQ-EXE",
        "集团管理层",
        UnitKind::Department,
        Some("HQ"),
        1,
    ));
    units.push(unit(
        "HQ-HR",
        "人力资源部",
        UnitKind::Department,
        Some("HQ"),
        2,
    ));
    units.push(unit(
        "HQ-IT",
        "信息技术部",
        UnitKind::Department,
        Some("HQ"),
        3,
    ));

    let mut person = |rng: &mut ChaCha8Rng,
                      job: &'static str,
                      level: &'static str,
                      unit: &str,
                      manager: Option<&str>,
                      from_year: i32| DemoPerson {
        employee_no: no.next(),
        name: names::name(rng),
        job_family: job,
        level,
        unit_code: unit.into(),
        manager: manager.map(str::to_string),
        hire_date: hire_date(rng, from_year),
        login: None,
        roles: vec![(Role::Employee, None)],
    };

    // Group leadership, HR and IT.
    let mut ceo = person(&mut rng, "高管", "M6", "HQ-EXE", None, 2010);
    ceo.name = "陈振华".into();
    let ceo_no = ceo.employee_no.clone();
    people.push(ceo);
    let mut vp_sales = person(&mut rng, "高管", "M5", "HQ-EXE", Some(&ceo_no), 2012);
    vp_sales.roles.push((Role::Committee, None));
    vp_sales.login = Some("committee".into());
    let vp_no = vp_sales.employee_no.clone();
    people.push(vp_sales);
    let mut hr_head = person(&mut rng, "人力资源", "M4", "HQ-HR", Some(&ceo_no), 2013);
    hr_head
        .roles
        .extend([(Role::Hrbp, None), (Role::Committee, None)]);
    let hr_head_no = hr_head.employee_no.clone();
    people.push(hr_head);
    for i in 0..6 {
        let mut h = person(&mut rng, "人力资源", "P6", "HQ-HR", Some(&hr_head_no), 2016);
        h.roles.push((Role::Hrbp, None));
        if i == 0 {
            h.login = Some("hrbp".into());
        }
        people.push(h);
    }
    let mut it_head = person(&mut rng, "信息技术", "M3", "HQ-IT", Some(&ceo_no), 2015);
    it_head.roles.push((Role::Admin, None));
    it_head.login = Some("admin".into());
    let it_no = it_head.employee_no.clone();
    people.push(it_head);
    for _ in 0..3 {
        let p = person(&mut rng, "信息技术", "P5", "HQ-IT", Some(&it_no), 2018);
        people.push(p);
    }

    // Regions: director → region manager → team leads → frontline.
    for (ri, ((code, name, cities, _), (n_sales, n_eng, n_agents))) in
        REGIONS.iter().zip(region_mix()).enumerate()
    {
        units.push(unit(
            code,
            name,
            UnitKind::Region,
            Some("HQ"),
            10 + ri as i64,
        ));
        let mut director = person(&mut rng, DIRECTOR, "M4", code, Some(&vp_no), 2012);
        director
            .roles
            .push((Role::Director, Some(code.to_string())));
        if *code == "HD" {
            director.login = Some("director".into());
            director.roles.push((Role::Committee, None));
        }
        let director_no = director.employee_no.clone();
        people.push(director);
        let mut rm = person(
            &mut rng,
            REGION_MANAGER,
            "M3",
            code,
            Some(&director_no),
            2014,
        );
        rm.roles.push((Role::Manager, Some(code.to_string())));
        let rm_no = rm.employee_no.clone();
        people.push(rm);

        let mut team_no = 0usize;
        for (job, n, label, prefix) in [
            (SALES, n_sales, "销售", "S"),
            (ENGINEER, n_eng, "服务", "F"),
            (AGENT, n_agents, "客服", "C"),
        ] {
            let teams = team_sizes(n);
            let per_city = teams.len().div_ceil(cities.len()).max(1);
            for (ti, members) in teams.into_iter().enumerate() {
                team_no += 1;
                let city = cities[(ti / per_city) % cities.len()];
                let nth = ti % per_city;
                let team_name = if job == AGENT {
                    format!("{city}客服{}组", CN_NUM[nth % CN_NUM.len()])
                } else {
                    format!("{city}{label}{}组", CN_NUM[nth % CN_NUM.len()])
                };
                let team_code = format!("{code}-{prefix}{:02}", ti + 1);
                units.push(unit(
                    &team_code,
                    &team_name,
                    UnitKind::Team,
                    Some(code),
                    team_no as i64,
                ));
                let mut lead = person(&mut rng, TEAM_LEAD, "M1", &team_code, Some(&rm_no), 2015);
                lead.roles.push((Role::Manager, Some(team_code.clone())));
                if *code == "HD" && job == SALES && ti == 0 {
                    lead.login = Some("manager".into());
                }
                let lead_no = lead.employee_no.clone();
                people.push(lead);
                for mi in 0..members {
                    let level = ["P2", "P3", "P3", "P4", "P4", "P5"][rng.random_range(0..6)];
                    let mut p = person(&mut rng, job, level, &team_code, Some(&lead_no), 2016);
                    if *code == "HD" && job == SALES && ti == 0 && mi == 0 {
                        p.login = Some("employee".into());
                    }
                    if *code == "HD" && job == ENGINEER && ti == 0 && mi == 0 {
                        p.login = Some("engineer".into());
                    }
                    people.push(p);
                }
            }
        }
    }
    let mut org = DemoOrg { units, people };
    name_linkage_people(&mut org);
    org
}

/// The linkage story's people (L2): a customer-service agent in 华东 and a
/// peer of the same level who falls just short, and a second engineer of the
/// demo engineer's team who falls just short of the innovation rule.
fn name_linkage_people(org: &mut DemoOrg) {
    let agent = org
        .people
        .iter()
        .position(|p| p.job_family == AGENT && p.unit_code.starts_with("HD-"));
    let Some(a) = agent else {
        return;
    };
    org.people[a].login = Some("agent".into());
    let level = org.people[a].level;
    if let Some(b) = org.people.iter().position(|p| {
        p.job_family == AGENT
            && p.level == level
            && p.login.is_none()
            && p.unit_code.starts_with("HD-")
    }) {
        org.people[b].login = Some("agent2".into());
    }
    let team = org.by_login("engineer").map(|p| p.unit_code.clone());
    if let Some(e) = org.people.iter().position(|p| {
        p.job_family == ENGINEER && p.login.is_none() && Some(&p.unit_code) == team.as_ref()
    }) {
        org.people[e].login = Some("engineer2".into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    #[test]
    fn pilot_group_shape() {
        let org = plan(crate::DEFAULT_SEED);
        let regions = org
            .units
            .iter()
            .filter(|u| u.kind == UnitKind::Region)
            .count();
        assert_eq!(regions, 17);
        assert_eq!(org.count(SALES), 1400);
        assert_eq!(org.count(ENGINEER), 500);
        assert_eq!(org.count(AGENT), 200);
        for login in [
            "admin",
            "hrbp",
            "director",
            "manager",
            "employee",
            "engineer",
            "engineer2",
            "agent",
            "agent2",
            "committee",
        ] {
            assert!(org.by_login(login).is_some(), "{login}");
        }
        let employee = org.by_login("employee").unwrap();
        let manager = org.by_login("manager").unwrap();
        assert_eq!(
            employee.manager.as_deref(),
            Some(manager.employee_no.as_str())
        );
        assert_eq!(employee.job_family, SALES);
        assert!(
            org.by_login("engineer")
                .unwrap()
                .unit_code
                .starts_with("HD-F")
        );
    }

    #[test]
    fn teams_are_8_to_15_and_numbers_unique() {
        let org = plan(crate::DEFAULT_SEED);
        let mut per_team: HashMap<&str, usize> = HashMap::new();
        for p in org
            .people
            .iter()
            .filter(|p| [SALES, ENGINEER, AGENT].contains(&p.job_family))
        {
            *per_team.entry(p.unit_code.as_str()).or_default() += 1;
        }
        for (team, n) in &per_team {
            assert!((8..=15).contains(n), "{team} has {n}");
        }
        let nos: HashSet<&str> = org.people.iter().map(|p| p.employee_no.as_str()).collect();
        assert_eq!(nos.len(), org.people.len());
        let codes: HashSet<&str> = org.units.iter().map(|u| u.code.as_str()).collect();
        assert_eq!(codes.len(), org.units.len());
    }

    #[test]
    fn deterministic_for_a_seed() {
        let a = plan(7);
        let b = plan(7);
        let names_a: Vec<&str> = a.people.iter().map(|p| p.name.as_str()).collect();
        let names_b: Vec<&str> = b.people.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names_a, names_b);
        let c = plan(8);
        assert_ne!(
            names_a,
            c.people.iter().map(|p| p.name.as_str()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn team_size_split() {
        for n in [8usize, 9, 15, 16, 23, 24, 100, 131] {
            let t = team_sizes(n);
            assert_eq!(t.iter().sum::<usize>(), n);
            assert!(t.iter().all(|s| (8..=15).contains(s)), "{n}: {t:?}");
        }
    }
}
