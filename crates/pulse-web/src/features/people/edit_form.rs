//! The person page's edit form: what it shows is the stored record, or what
//! HR typed when the save was refused, so nothing typed is lost.

use pulse_store::people::Person;

use crate::forms::FormFields;

/// The edit form's values: the stored ones, or what was typed when refused.
#[derive(Default)]
pub struct EditForm {
    pub name: String,
    pub org_unit: String,
    pub manager: String,
    pub job_family: String,
    pub level: String,
    pub hire_date: String,
    pub status: String,
    pub email: String,
    pub wecom_userid: String,
}

impl EditForm {
    pub fn of(p: &Person, typed: Option<&FormFields>) -> EditForm {
        let mut f = EditForm {
            name: p.name.clone(),
            org_unit: p.org_unit_code.clone(),
            manager: p.manager_employee_no.clone().unwrap_or_default(),
            job_family: p.job_family.clone(),
            level: p.level.clone(),
            hire_date: p.hire_date.map(|d| d.to_string()).unwrap_or_default(),
            status: p.status.clone(),
            email: p.email.clone().unwrap_or_default(),
            wecom_userid: p.wecom_userid.clone().unwrap_or_default(),
        };
        if let Some(t) = typed {
            for (key, slot) in [
                ("name", &mut f.name),
                ("org_unit", &mut f.org_unit),
                ("manager", &mut f.manager),
                ("job_family", &mut f.job_family),
                ("level", &mut f.level),
                ("hire_date", &mut f.hire_date),
                ("status", &mut f.status),
                ("email", &mut f.email),
                ("wecom_userid", &mut f.wecom_userid),
            ] {
                if let Some(v) = t.get(key) {
                    *slot = v;
                }
            }
        }
        f
    }
}
