from acsim.cli import run

run()
