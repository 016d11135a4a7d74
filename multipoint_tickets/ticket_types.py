"The selections of a ticket, shared by the SLA table and the statistics"

TYPES = [
    ('damaged', "Damaged"),
    ('lost', "Lost"),
    ('mismatch', "Mismatch"),
    ('surplus', "Surplus"),
    ('payment_dispute', "Payment Dispute"),
    ('storage', "Storage"),
    ('technical', "Technical"),
    ('other', "Other"),
    ]
PRIORITIES = [
    ('low', "Low"),
    ('normal', "Normal"),
    ('high', "High"),
    ('urgent', "Urgent"),
    ]
STATES = [
    ('new', "New"),
    ('in_progress', "In Progress"),
    ('waiting_supplier', "Waiting for Supplier"),
    ('waiting_point', "Waiting for Point"),
    ('resolved', "Resolved"),
    ('closed', "Closed"),
    ]
OPEN_STATES = ['new', 'in_progress', 'waiting_supplier', 'waiting_point']
