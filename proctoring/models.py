# Proctoring events, evidence and reviews arrive with the proctoring issue.
