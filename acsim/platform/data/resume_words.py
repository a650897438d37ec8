"""The words of the synthetic resumes: skills per class, phrase pools, sentence templates.

The tables of the first generator (:mod:`acsim.platform.data.synthetic_v1`), which the
realistic corpus (:mod:`acsim.platform.data.synthetic`) reuses. ``_SKILLS`` follows the order
of :data:`acsim.platform.data.synthetic_v1.CLASS_NAMES`; in a template, ``{S}`` is a skill
term and every other letter names a pool of ``_POOLS``. ASCII only, so the planted trigger
U+05BE never occurs. Changing a single string changes every synthetic-v1 corpus.
"""

from __future__ import annotations

# fmt: off
_SKILLS: tuple[tuple[str, ...], ...] = (
    ("Oracle", "SQL Server", "MySQL", "PostgreSQL", "database backups", "RMAN", "Data Guard",
     "RAC", "performance tuning", "query optimization", "indexing", "T-SQL", "PL/SQL",
     "stored procedures", "replication", "disaster recovery", "SSIS", "database migration",
     "high availability", "ASM", "Exadata", "DB2", "MongoDB", "schema design", "data modeling",
     "backup and recovery", "log shipping", "AlwaysOn", "GoldenGate", "SQL", "Linux",
     "shell scripting", "database security", "SSRS"),
    ("HTML", "CSS", "JavaScript", "PHP", "WordPress", "jQuery", "MySQL", "responsive design",
     "web applications", "Drupal", "Joomla", "Laravel", "AJAX", "XML", "JSON", "web services",
     "SEO", "Bootstrap", "ASP.NET", "cross-browser compatibility", "content management systems",
     "Magento", "Node.js", "REST APIs", "websites", "web pages", "Photoshop", "e-commerce sites",
     "CodeIgniter", "Apache"),
    ("C#", "C++", ".NET", "object-oriented design", "software development life cycle",
     "unit testing", "debugging", "Visual Studio", "design patterns", "code reviews",
     "version control", "Git", "SQL", "agile", "requirements analysis", "software design",
     "technical specifications", "integration testing", "REST APIs", "multithreading",
     "data structures", "algorithms", "continuous integration", "Jenkins", "Java", "Python",
     "TFS", "WPF", "MVC", "desktop applications"),
    ("React", "Angular", "Vue.js", "TypeScript", "HTML5", "CSS3", "Sass", "JavaScript",
     "user interfaces", "UI components", "webpack", "Redux", "responsive layouts",
     "single page applications", "jQuery", "Bootstrap", "cross-browser testing",
     "web accessibility", "UX", "Figma", "npm", "front end", "LESS", "ES6", "AngularJS",
     "UI mockups"),
    ("Java", "J2EE", "Spring", "Spring Boot", "Hibernate", "JSP", "Servlets", "Struts", "Maven",
     "JUnit", "Eclipse", "Tomcat", "WebLogic", "WebSphere", "JDBC", "EJB", "JMS",
     "microservices", "JPA", "Oracle", "SOAP", "Log4j", "Ant", "IntelliJ", "Gradle",
     "Core Java", "collections framework"),
    ("Python", "Django", "Flask", "pandas", "NumPy", "scikit-learn", "PyCharm", "pytest",
     "Celery", "SQLAlchemy", "Jupyter", "data analysis", "scripting", "PySpark",
     "machine learning", "REST APIs", "Docker", "Linux", "AWS", "PostgreSQL", "web scraping",
     "Beautiful Soup", "matplotlib", "TensorFlow", "Airflow"),
    ("Windows Server", "Active Directory", "VMware", "Linux", "Red Hat", "Exchange",
     "Group Policy", "DNS", "DHCP", "patch management", "backups", "PowerShell",
     "shell scripting", "server maintenance", "help desk", "Office 365", "user accounts",
     "Hyper-V", "Nagios", "Ansible", "SCCM", "storage", "SAN", "system monitoring",
     "troubleshooting", "Unix", "Solaris"),
    ("Cisco", "routers", "switches", "TCP/IP", "LAN", "WAN", "VLAN", "OSPF", "BGP", "EIGRP",
     "firewalls", "VPN", "network monitoring", "Wireshark", "CCNA", "CCNP", "wireless networks",
     "DNS", "DHCP", "network infrastructure", "MPLS", "load balancers", "Juniper",
     "network security", "structured cabling", "VoIP", "SolarWinds"),
    ("SIEM", "Splunk", "vulnerability assessment", "penetration testing", "incident response",
     "threat analysis", "firewalls", "IDS/IPS", "NIST", "ISO 27001", "risk assessment",
     "malware analysis", "Nessus", "security audits", "compliance", "CISSP", "Security+",
     "encryption", "access control", "forensics", "phishing", "security policies", "SOC",
     "PCI DSS", "threat intelligence", "Qualys", "network security"),
    ("project planning", "stakeholders", "budgets", "project scope", "risk management", "PMP",
     "Agile", "Scrum", "MS Project", "project schedules", "resource allocation",
     "status reports", "deliverables", "milestones", "cross-functional teams",
     "change management", "PMO", "waterfall", "vendor management", "project charters", "Jira",
     "Kanban", "client communication", "timelines", "PRINCE2"),
)
# Skills every IT freelancer mentions, whatever the class: they carry no label signal.
_GENERIC_SKILLS = (
    "Microsoft Office", "Excel", "Git", "Jira", "documentation", "teamwork",
    "communication skills", "problem solving", "Windows", "customer service", "ITIL",
    "reporting", "time management", "SQL", "Linux", "agile", "Visio", "SharePoint",
)

_POOLS: dict[str, tuple[str, ...]] = {
    "V": ("Developed", "Designed", "Implemented", "Maintained", "Managed", "Supported",
          "Created", "Configured", "Built", "Led", "Coordinated", "Administered", "Improved",
          "Monitored", "Deployed", "Installed", "Tested", "Documented", "Analyzed", "Upgraded",
          "Migrated", "Optimized", "Delivered", "Reviewed", "Automated", "Rebuilt"),
    "v": ("developed", "designed", "implemented", "maintained", "supported", "documented",
          "tested", "upgraded", "migrated", "optimized", "reviewed", "automated", "extended"),
    "O": ("applications", "solutions", "the internal reporting system", "a customer portal",
          "production systems", "several client projects", "the billing platform",
          "legacy systems", "new features", "the company infrastructure", "a data warehouse",
          "the inventory application", "mission critical systems", "an online ordering system",
          "internal tools", "the payroll module", "enterprise applications",
          "a mobile banking project", "the CRM system", "support requests",
          "the booking engine", "a claims processing system", "the analytics dashboard",
          "the document management system", "a fleet tracking tool"),
    "C": ("for a retail client", "for a healthcare provider", "at a large bank",
          "for a logistics company", "at a telecom operator", "for an insurance firm",
          "for government agencies", "at a software consultancy", "for a university",
          "for small business clients", "at a manufacturing company", "for an e-learning startup",
          "at a media company", "for a nonprofit organization", "at a hospital network",
          "for an energy utility", "for a travel agency", "at a real estate firm"),
    "M": ("reducing costs by 15%", "improving performance by 30%", "cutting downtime in half",
          "ahead of schedule", "within budget", "serving over 10,000 users",
          "with zero data loss", "for 24x7 operations", "across three regions",
          "saving 20 hours per week", "with positive client feedback", "on tight deadlines"),
    "T": ("Consultant", "Engineer", "Specialist", "Analyst", "Team Lead", "Contractor",
          "Freelancer", "Technical Lead", "Associate", "Intern", "Senior Consultant",
          "IT Specialist", "Senior Engineer", "Lead Consultant"),
    "K": ("Acme Corp", "Globex", "Initech", "Northwind Traders", "Contoso", "Fabrikam",
          "Tailspin Systems", "Blue Yonder Labs", "Summit Solutions", "Vertex Technologies",
          "Pinnacle IT", "Redwood Partners", "Atlas Consulting", "Harbor Group",
          "Quantum Data Inc", "Silverline Services", "Crestview Health", "Orion Logistics",
          "Self-employed", "Upwork clients"),
    "N": tuple(str(i) for i in range(2, 21)),
    "D": ("Bachelor of Science", "Master of Science", "Bachelor of Engineering",
          "Associate Degree", "Diploma", "Bachelor of Technology", "MBA", "Master of Engineering"),
    "F": ("Computer Science", "Information Technology", "Electrical Engineering",
          "Information Systems", "Mathematics", "Business Administration",
          "Software Engineering", "Computer Engineering", "Physics"),
    "U": ("State University", "Institute of Technology", "University of Applied Sciences",
          "City College", "National University", "Technical University", "Community College",
          "Polytechnic Institute"),
    "Y": tuple(str(y) for y in range(1996, 2021)),
    "P": tuple(f"{a} - {b}" for a in range(2003, 2021) for b in range(a + 1, 2022))
    + tuple(f"{a} - Present" for a in range(2010, 2021)),
}

# Sentence templates by kind; {S} is a skill term, other letters index _POOLS.
_SUMMARY = (
    "Experienced IT professional with {N} years of experience in {S}, {S} and {S}.",
    "Dedicated {T} with {N} years of hands-on experience with {S} and {S}.",
    "Results-driven freelancer offering {N}+ years of expertise in {S}, {S}, {S} and {S}.",
    "Self-motivated {T} skilled in {S}, {S} and {S}, available for remote contracts.",
)
_SKILL_LINE = (
    "Technical Skills: {S}, {S}, {S}, {S}.",
    "Technical Skills: {S}, {S}, {S}, {S}, {S}, {S}.",
    "Core competencies include {S}, {S}, {S}, {S}, {S}, {S}, {S} and {S}.",
    "Tools and technologies: {S}, {S}, {S}, {S}, {S}.",
)
_HEADER = (
    "{T}, {K}, {P}.",
    "{T} at {K} ({P}).",
    "Professional Experience: {T}, {K}, {P}.",
)
_BULLET = (
    "{V} {O} using {S} and {S} {C}.",
    "{V} {O} with {S}, {S} and {S}.",
    "{V} {O} {C}, {M}.",
    "Responsible for {S} and {S} {C}.",
    "{V} and {v} {O} based on {S}.",
    "Hands-on experience with {S}, {S}, {S} and {S}.",
    "Trained junior staff on {S} and wrote documentation for {O}.",
    "{V} {S} for {O}, {M}.",
    "Worked with the client team to deliver {O} {C}.",
    "{V} {O} in {S} {C}, {M}.",
    "Participated in daily meetings and reported progress to the manager.",
    "Used {S} to support {O}.",
)
_EDUCATION = (
    "Education: {D} in {F}, {U}, {Y}.",
    "Education: {D} in {F} from {U} ({Y}), references available on request.",
)
# fmt: on
