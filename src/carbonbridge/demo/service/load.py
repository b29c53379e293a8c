"""Loading the synthetic demo region into an empty database (``make run``, ``carbonbridge demo load``)."""

from __future__ import annotations

from collections import defaultdict

from rich.console import Console
from rich.progress import Progress
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.accounting import service
from carbonbridge.accounting.model import ActivityRecord
from carbonbridge.demo.region import generate_region
from carbonbridge.demo.service.credits import load_credits
from carbonbridge.demo.service.users import create_demo_users, existing_demo_users, print_demo_users
from carbonbridge.platform.identity import Principal, Role

#: the loader acts as the platform administrator
LOADER = Principal(user_id="system-demo-loader", name="demo loader", role=Role.ADMIN)


def load_demo(sessions: sessionmaker[Session], console: Console, seed: int = 2024) -> int:
    """Register the demo region's organisations and submit their activity data; returns rows."""
    region = generate_region(seed)
    by_org: dict[str, list[ActivityRecord]] = defaultdict(list)
    for record in region.records:
        by_org[record.organisation_id].append(record)
    facilities = defaultdict(list)
    for facility in region.facilities:
        facilities[facility.organisation_id].append(facility)
    console.print(f"[yellow]{region.notice_en}[/yellow]\n[yellow]{region.notice_zh}[/yellow]")
    with Progress(console=console, transient=False) as progress:
        task = progress.add_task("demo region / 示范县", total=len(region.organisations))
        for org in region.organisations:
            service.register_organisation(sessions, LOADER, org, facilities[org.id], synthetic=True)
            if by_org[org.id]:
                service.submit_records(sessions, LOADER, org.id, by_org[org.id], source="demo-region")
            progress.advance(task)
    for year, population in region.population.items():
        service.set_region_statistics(
            sessions,
            LOADER,
            region.region,
            year,
            population,
            region.gdp_10k_cny[year],
            synthetic=True,
            source="synthetic demo figures (carbonbridge.demo.region)",
        )
    load_credits(sessions, console)
    return len(region.records)


def load_demo_if_empty(sessions: sessionmaker[Session], console: Console) -> bool:
    """Load the demo region and its users unless organisations already exist; returns whether it
    loaded. Either way, prints the demo users and how to log in (``demo/service/users.py``)."""
    if service.organisation_count(sessions) > 0:
        console.print("demo region: database already has organisations; nothing loaded")
        print_demo_users(console, {}, existing_demo_users(sessions))  # never creates users here
        return False
    rows = load_demo(sessions, console)
    console.print(f"demo region loaded: {rows} activity rows")
    passwords = create_demo_users(sessions)
    print_demo_users(console, passwords, set(passwords))
    return True
