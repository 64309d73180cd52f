"""The simulation pipeline: requests → trajectories → judge → metrics → planner training data.

Run from a checkout as ``python -m simulation <command>`` (``requests``, ``run``, ``evaluate``,
``export``); every command shows progress and resumes where a killed run stopped. The library
(``langchain_gba``) provides the agent, the planners, the simulated tools and the prompt formats;
this package only drives them.
"""
